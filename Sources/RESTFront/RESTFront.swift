import Foundation
import HTTPTypes
import Hummingbird
import InferenceAPI
import Logging
import NIOCore
import RPCCore
import ServiceLifecycle

/// The KServe V2 HTTP/REST protocol (`/v2/...`) on its own port, served with Hummingbird.
///
/// Every REST call is transcoded to the gRPC method it mirrors and run through the same method
/// handlers the gRPC port runs, with whatever those are wrapped in (metrics, access log, auth,
/// spans): a REST call is routed, measured and authorized exactly as a gRPC one. Errors come back
/// as `{"error": "..."}` with the HTTP status that matches the gRPC status.
public struct RESTFront: Sendable {
    /// Requests larger than this are refused (413) before their body is read.
    public let maxBodyBytes: Int
    private let methods: [String: MethodHandler]
    private let logger: Logger

    /// `services` are the gRPC port's services, already instrumented.
    public init(services: [any RPCService], maxBodyBytes: Int, logger: Logger) {
        var methods: [String: MethodHandler] = [:]
        for service in services {
            for method in service.methods { methods[method.path] = method }
        }
        self.methods = methods
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    /// The HTTP/1.1 server on `host:port` as a service; `onListening` gets the bound port.
    public func application(
        host: String, port: Int, onListening: @escaping @Sendable (Int) -> Void
    ) -> some Service {
        Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/v2/health/live") { request, _ in
            await respond(request, method: InferenceMethods.serverLive) { call throws(RPCError) in
                let live = try await call.unary(InferenceMethods.serverLive, ServerLiveRequest(), as: ServerLiveResponse.self)
                    .live
                return RESTReply(json: "{\"live\":\(live)}", status: live ? .ok : .badRequest)
            }
        }
        router.get("/v2/health/ready") { request, _ in
            await respond(request, method: InferenceMethods.serverReady) { call throws(RPCError) in
                let ready = try await call.unary(InferenceMethods.serverReady, ServerReadyRequest(), as: ServerReadyResponse.self)
                    .ready
                return RESTReply(json: "{\"ready\":\(ready)}", status: ready ? .ok : .badRequest)
            }
        }
        router.get("/v2") { request, _ in
            await respond(request, method: InferenceMethods.serverMetadata) { call throws(RPCError) in
                let metadata = try await call.unary(
                    InferenceMethods.serverMetadata, ServerMetadataRequest(), as: ServerMetadataResponse.self)
                return RESTReply(json: RESTJSON.serverMetadata(metadata))
            }
        }
        for prefix in ["/v2/models/{model}", "/v2/models/{model}/versions/{version}"] {
            router.get(RouterPath(prefix)) { request, context in
                await respond(request, method: InferenceMethods.modelMetadata) { call throws(RPCError) in
                    let (model, version) = modelAndVersion(context)
                    let metadata = try await call.unary(
                        InferenceMethods.modelMetadata, ModelMetadataRequest(name: model, version: version),
                        as: ModelMetadataResponse.self)
                    return RESTReply(json: RESTJSON.modelMetadata(metadata))
                }
            }
            router.get(RouterPath(prefix + "/config")) { request, context in
                await respond(request, method: InferenceMethods.modelConfig) { call throws(RPCError) in
                    let (model, version) = modelAndVersion(context)
                    let config = try await call.unary(
                        InferenceMethods.modelConfig, ModelConfigRequest(name: model, version: version),
                        as: ModelConfigResponse.self)
                    return RESTReply(json: RESTJSON.modelConfig(config))
                }
            }
            router.get(RouterPath(prefix + "/ready")) { request, context in
                await respond(request, method: InferenceMethods.modelReady) { call throws(RPCError) in
                    let (model, version) = modelAndVersion(context)
                    let ready = try await call.unary(
                        InferenceMethods.modelReady, ModelReadyRequest(name: model, version: version), as: ModelReadyResponse.self
                    ).ready
                    return RESTReply(
                        json: "{\"name\":\(JSONText.string(model)),\"ready\":\(ready)}", status: ready ? .ok : .badRequest)
                }
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                await respond(request, method: InferenceMethods.modelInfer) { call throws(RPCError) in
                    let (model, version) = modelAndVersion(context)
                    let body = try await call.body()
                    let headerLength = try Self.headerLength(request.headers)
                    let (inferRequest, binary) = try InferenceJSON.request(
                        body: body, headerLength: headerLength, model: model, version: version)
                    let response = try await call.unary(InferenceMethods.modelInfer, inferRequest, as: InferResponse.self)
                    let (bytes, jsonLength) = try InferenceJSON.response(response, binary: binary)
                    return RESTReply(body: bytes, headerLength: jsonLength)
                }
            }
        }
        return router
    }

    /// Runs `body` with the call's context and turns its result or error into a response.
    private func respond(
        _ request: Request, method: String, _ body: (RESTCall) async throws(RPCError) -> RESTReply
    ) async -> Response {
        let call = RESTCall(request: request, method: method, methods: methods, maxBodyBytes: maxBodyBytes)
        let reply: RESTReply
        do {
            reply = try await body(call)
        } catch {
            reply = RESTReply(json: "{\"error\":\(JSONText.string(error.message))}", status: RESTStatus.http(for: error))
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let length = reply.headerLength {
            headers[RESTCall.headerLengthField] = String(length)
            headers[.contentType] = "application/octet-stream"
        }
        for (name, value) in call.context.response.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: reply.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    private func modelAndVersion(_ context: BasicRequestContext) -> (String, String) {
        (context.parameters.get("model") ?? "", context.parameters.get("version") ?? "")
    }

    static func headerLength(_ headers: HTTPFields) throws(RPCError) -> Int? {
        guard let text = headers[RESTCall.headerLengthField] else { return nil }
        guard let length = Int(text), length >= 0 else {
            throw RPCError(.invalidArgument, "Inference-Header-Content-Length must be a non-negative integer, got '\(text)'")
        }
        return length
    }
}

/// What a REST handler answers: the body, its status, and the JSON header's length when the
/// body carries binary tensors.
struct RESTReply {
    var body: [UInt8]
    var status: HTTPResponse.Status = .ok
    var headerLength: Int?

    init(json: String, status: HTTPResponse.Status = .ok) {
        body = Array(json.utf8)
        self.status = status
    }

    init(body: [UInt8], headerLength: Int?) {
        self.body = body
        self.headerLength = headerLength
    }
}

import HTTPTypes
import Hummingbird
import HummingbirdCore
import InferenceAPI
import JSONEscaping
import Logging
import NIOCore
import RPCCore
import RPCTransport
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

    /// The server on `host:port` as a service, speaking HTTP/1.1 and HTTP/2 (ALPN under `tls`,
    /// h2c with prior knowledge in plaintext); `onListening` gets the bound port.
    public func application(
        host: String, port: Int, tls: ServerTLS? = nil, maxHeaderListSize: Int = 16_384,
        onListening: @escaping @Sendable (Int) -> Void
    ) -> some Service {
        let router = router()
        let bridge = RouterBridge(responder: router.buildResponder(), logger: logger)
        let maxBodyBytes = maxBodyBytes
        // Hummingbird binds the port and routes; the connections are served by NIOHTTP1 and
        // libnghttp2 handlers that run each request on the connection's event loop (Hummingbird's
        // own HTTP/1.1 channel hops to a task and back per request, which cost more than a
        // whole gRPC call).
        let server = HTTPServerBuilder { _ in
            RESTConnection(
                tls: tls, maxBodyBytes: maxBodyBytes, maxHeaderListSize: maxHeaderListSize,
                responder: { channel in { request in await bridge.respond(request, channel: channel) } })
        }
        return Application(
            router: router, server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        get(router, "/v2/health/live", InferenceMethods.serverLive, { _, _ in ServerLiveRequest() }) {
            (_, response: ServerLiveResponse) in
            RESTReply(json: "{\"live\":\(response.live)}", status: response.live ? .ok : .badRequest)
        }
        get(router, "/v2/health/ready", InferenceMethods.serverReady, { _, _ in ServerReadyRequest() }) {
            (_, response: ServerReadyResponse) in
            RESTReply(json: "{\"ready\":\(response.ready)}", status: response.ready ? .ok : .badRequest)
        }
        get(router, "/v2", InferenceMethods.serverMetadata, { _, _ in ServerMetadataRequest() }) {
            (_, response: ServerMetadataResponse) in RESTReply(json: RESTJSON.serverMetadata(response))
        }
        get(router, "/v2/models/stats", InferenceMethods.modelStatistics, { _, _ in ModelStatisticsRequest() }) {
            (_, response: ModelStatisticsResponse) in RESTReply(json: RepositoryJSON.statistics(response))
        }
        repositoryRoutes(router)
        for prefix in ["/v2/models/{model}", "/v2/models/{model}/versions/{version}"] {
            get(router, prefix + "/stats", InferenceMethods.modelStatistics, { ModelStatisticsRequest(name: $0, version: $1) }) {
                (_, response: ModelStatisticsResponse) in RESTReply(json: RepositoryJSON.statistics(response))
            }
            get(router, prefix, InferenceMethods.modelMetadata, { ModelMetadataRequest(name: $0, version: $1) }) {
                (_, response: ModelMetadataResponse) in RESTReply(json: RESTJSON.modelMetadata(response))
            }
            get(router, prefix + "/config", InferenceMethods.modelConfig, { ModelConfigRequest(name: $0, version: $1) }) {
                (_, response: ModelConfigResponse) in RESTReply(json: RESTJSON.modelConfig(response))
            }
            get(router, prefix + "/ready", InferenceMethods.modelReady, { ModelReadyRequest(name: $0, version: $1) }) {
                (request, response: ModelReadyResponse) in
                RESTReply(
                    json: "{\"name\":\(JSONString.quoted(request.name)),\"ready\":\(response.ready)}",
                    status: response.ready ? .ok : .badRequest)
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

    /// Triton's repository extension: the index, and explicit loads and unloads.
    private func repositoryRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/v2/repository/index") { request, _ in
            await respond(request, method: InferenceMethods.repositoryIndex) { call throws(RPCError) in
                let message = try RepositoryJSON.indexRequest(try await call.body())
                let response = try await call.unary(InferenceMethods.repositoryIndex, message, as: RepositoryIndexResponse.self)
                return RESTReply(json: RepositoryJSON.index(response))
            }
        }
        router.post("/v2/repository/models/{model}/load") { request, context in
            await respond(request, method: InferenceMethods.repositoryModelLoad) { call throws(RPCError) in
                let message = RepositoryModelLoadRequest(
                    modelName: modelAndVersion(context).0,
                    parameters: try RepositoryJSON.repositoryParameters(try await call.body()))
                _ = try await call.unary(InferenceMethods.repositoryModelLoad, message, as: RepositoryModelLoadResponse.self)
                return RESTReply(json: "{}")
            }
        }
        router.post("/v2/repository/models/{model}/unload") { request, context in
            await respond(request, method: InferenceMethods.repositoryModelUnload) { call throws(RPCError) in
                let message = RepositoryModelUnloadRequest(
                    modelName: modelAndVersion(context).0,
                    parameters: try RepositoryJSON.repositoryParameters(try await call.body()))
                _ = try await call.unary(InferenceMethods.repositoryModelUnload, message, as: RepositoryModelUnloadResponse.self)
                return RESTReply(json: "{}")
            }
        }
    }

    /// Answers GET `path` with one call of the unary `method`: `message` makes its request from the
    /// path's model and version (empty where the path has none), `reply` renders the response.
    private func get<Request: WireMessage, Response: WireMessage>(
        _ router: Router<BasicRequestContext>, _ path: String, _ method: String,
        _ message: @escaping @Sendable (_ model: String, _ version: String) -> Request,
        reply: @escaping @Sendable (Request, Response) -> RESTReply
    ) {
        router.get(RouterPath(path)) { request, context in
            await respond(request, method: method) { call throws(RPCError) in
                let (model, version) = modelAndVersion(context)
                let message = message(model, version)
                return reply(message, try await call.unary(method, message, as: Response.self))
            }
        }
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
            reply = RESTReply(json: "{\"error\":\(JSONString.quoted(error.message))}", status: RESTStatus.http(for: error))
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

import HTTPTypes
import Hummingbird
import InferenceAPI
import NIOCore
import RPCCore

/// One REST request on its way to the gRPC method it mirrors: the call context built from its
/// headers (bearer token, trace context, `x-` headers such as `x-routing-key`, a `grpc-timeout`
/// deadline), its body read within the size limit, and the method run on protobuf bytes.
struct RESTCall: Sendable {
    static let headerLengthField = HTTPField.Name("Inference-Header-Content-Length")!

    let request: Request
    let methods: [String: MethodHandler]
    let maxBodyBytes: Int
    let context: ServerContext

    init(request: Request, method: String, methods: [String: MethodHandler], maxBodyBytes: Int) {
        self.request = request
        self.methods = methods
        self.maxBodyBytes = maxBodyBytes
        var metadata = Metadata()
        var deadline: ContinuousClock.Instant?
        for field in request.headers {
            let name = field.name.canonicalName
            if name == "grpc-timeout", let nanoseconds = GRPCTimeout.parse(field.value) {
                deadline = .now + .nanoseconds(nanoseconds)
            } else if Self.forwarded(name) {
                metadata.addLowercased(name, field.value)
            }
        }
        context = ServerContext(method: method, metadata: metadata, deadline: deadline, peer: "http")
    }

    /// Marks an error that HTTP reports as 413 rather than the 429 of RESOURCE_EXHAUSTED.
    static let payloadTooLarge: Metadata = ["http-status": "413"]

    /// Headers that mean something to the services behind the front; the rest are HTTP's own.
    static func forwarded(_ name: String) -> Bool {
        name == "authorization" || name == "traceparent" || name == "tracestate" || name.hasPrefix("x-")
    }

    /// The request body; RESOURCE_EXHAUSTED (413) beyond the limit, decided from Content-Length
    /// before anything is read when the client sends one.
    func body() async throws(RPCError) -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            throw RPCError(
                .resourceExhausted, "the request body of \(declared) bytes is larger than the limit of \(maxBodyBytes)",
                metadata: Self.payloadTooLarge)
        }
        do {
            let buffer = try await request.body.collect(upTo: maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw RPCError(
                .resourceExhausted, "the request body is larger than the limit of \(maxBodyBytes) bytes",
                metadata: Self.payloadTooLarge)
        } catch {
            throw RPCError(.invalidArgument, "cannot read the request body: \(error)")
        }
    }

    /// Runs the unary gRPC method at `path` with `message` and decodes its reply.
    func unary<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ message: Request, as: Response.Type
    ) async throws(RPCError) -> Response {
        guard let method = methods[path] else { throw RPCError(.unimplemented, "this server does not serve \(path)") }
        let reply: [UInt8]?
        do {
            reply = try await method.run(message.wireBytes(), context, NoStream())
        } catch {
            throw RPCError(from: error)
        }
        guard let reply else { throw RPCError(.internal, "\(path) sent no reply") }
        return try Response(wireBytes: reply)
    }
}

/// Unary methods write nothing to a stream.
private struct NoStream: ResponseStreamSink {
    func write(_ message: [UInt8]) async throws {
        throw RPCError(.internal, "a unary method wrote to a stream")
    }
}

/// The HTTP status for each gRPC status, as the KServe and Triton REST servers map them.
enum RESTStatus {
    static func http(for error: RPCError) -> HTTPResponse.Status {
        if let code = error.metadata["http-status"].flatMap({ Int($0) }) { return HTTPResponse.Status(code: code) }
        return http(for: error.code)
    }

    static func http(for code: StatusCode) -> HTTPResponse.Status {
        switch code {
        case .ok: .ok
        case .invalidArgument, .failedPrecondition, .outOfRange: .badRequest
        case .unauthenticated: .unauthorized
        case .permissionDenied: .forbidden
        case .notFound: .notFound
        case .alreadyExists, .aborted: .conflict
        case .resourceExhausted: .tooManyRequests
        case .cancelled: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
        case .deadlineExceeded: .gatewayTimeout
        case .unimplemented: .notImplemented
        case .unavailable: .serviceUnavailable
        default: .internalServerError
        }
    }
}

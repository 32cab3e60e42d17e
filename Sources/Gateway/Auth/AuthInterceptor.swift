import InferenceAPI
import RPCCore

/// The gateway's bearer-token checks (`--auth-tokens`) as a server interceptor: which check a
/// method needs is decided once per method when the chain is composed, and a call that fails
/// it never reaches the handler. Methods it does not list (liveness, readiness, grpc.health)
/// are open to everyone.
struct AuthInterceptor: ServerInterceptor {
    /// What a method asks of the caller's token.
    enum Check: Sendable, Equatable {
        /// A valid token (ServerMetadata).
        case token
        /// A token allowed to use the model named in the request's field 1 (`name` of ModelReady
        /// and ModelMetadata, `model_name` of ModelInfer); `notesCall` records the model and the
        /// request id (field 3) first, as ModelInfer's handler does, so a refused call's access
        /// log line names them too.
        case model(notesCall: Bool)
        /// A token with `admin: true` (every method of the admin service, model loads and unloads).
        case admin
    }

    let tokens: AccessTokens

    /// Every method of `inferencemesh.admin.v1.GatewayAdmin`, including ones added later.
    static let adminServicePrefix = "/inferencemesh.admin.v1.GatewayAdmin/"

    func prepare(for method: MethodHandler) -> Check? {
        Self.check(for: method.path)
    }

    static func check(for path: String) -> Check? {
        switch path {
        // ModelStreamInfer: a valid token opens the stream; GatewayService checks each request's model.
        case InferenceMethods.serverMetadata, InferenceMethods.repositoryIndex, InferenceMethods.modelStreamInfer: .token
        case InferenceMethods.modelReady, InferenceMethods.modelMetadata, InferenceMethods.modelConfig,
            InferenceMethods.modelStatistics:
            .model(notesCall: false)
        // Loading and unloading change what every caller gets: admin tokens only.
        case InferenceMethods.repositoryModelLoad, InferenceMethods.repositoryModelUnload: .admin
        case InferenceMethods.modelInfer: .model(notesCall: true)
        case _ where path.hasPrefix(adminServicePrefix): .admin
        default: nil
        }
    }

    func intercept(
        _ request: [UInt8], context: ServerContext, stream: any ResponseStreamSink, state check: Check,
        next: MethodHandler.Run
    ) async throws -> [UInt8]? {
        switch check {
        case .token:
            _ = try tokens.authenticate(context.metadata)
        case .admin:
            let loading = context.method.hasPrefix("/inference.")
            try tokens.authorizeAdmin(context.metadata, for: loading ? "load or unload models" : "use the admin service")
        case .model(let notesCall):
            // Bytes that are not protobuf go on to the handler, whose decoding error the caller
            // got before auth was an interceptor.
            guard let fields = try? ProtobufFields(request, messageName: "") else { break }
            let model = fields.string(1)
            if notesCall { context.annotations.note(model: model, requestID: fields.string(3)) }
            try tokens.authorize(context.metadata, model: model)
        }
        return try await next(request, context, stream)
    }
}

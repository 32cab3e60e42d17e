import RPCCore

/// What a process implements to serve `inference.GRPCInferenceService`; errors thrown are
/// mapped to the caller's status by `RPCError(from:)`.
public protocol InferenceServiceHandler: Sendable {
    /// ServerLive: is the process up?
    func serverLive(_ request: ServerLiveRequest, context: ServerContext) async throws -> ServerLiveResponse
    /// ServerReady: can it take inference requests?
    func serverReady(_ request: ServerReadyRequest, context: ServerContext) async throws -> ServerReadyResponse
    /// ModelReady: can a model version take inference requests?
    func modelReady(_ request: ModelReadyRequest, context: ServerContext) async throws -> ModelReadyResponse
    /// ServerMetadata: name, version and protocol extensions.
    func serverMetadata(
        _ request: ServerMetadataRequest, context: ServerContext
    ) async throws
        -> ServerMetadataResponse
    /// ModelMetadata: a model's versions, platform and tensor signatures (NOT_FOUND if unknown).
    func modelMetadata(
        _ request: ModelMetadataRequest, context: ServerContext
    ) async throws
        -> ModelMetadataResponse
    /// ModelInfer: run the model; inputs arrive validated, with raw little-endian data.
    func modelInfer(_ request: InferRequest, context: ServerContext) async throws -> InferResponse
    /// ModelConfig (Triton's extension): the model's configuration; UNIMPLEMENTED by default.
    func modelConfig(_ request: ModelConfigRequest, context: ServerContext) async throws -> ModelConfigResponse

    // MARK: ModelStreamInfer

    /// ModelStreamInfer (Triton's extension): ModelInfer requests on one bidirectional stream,
    /// each answered in order by a response or its error message; UNIMPLEMENTED by default.
    func modelStreamInfer(
        _ requests: RequestStream<InferRequest>, context: ServerContext,
        responses: ResponseStream<ModelStreamInferResponse>
    ) async throws
}

extension InferenceServiceHandler {
    public func modelConfig(_ request: ModelConfigRequest, context: ServerContext) async throws -> ModelConfigResponse {
        throw RPCError(.unimplemented, "this server has no model configurations (ModelConfig)")
    }
}

// MARK: ModelStreamInfer

extension InferenceServiceHandler {
    public func modelStreamInfer(
        _ requests: RequestStream<InferRequest>, context: ServerContext,
        responses: ResponseStream<ModelStreamInferResponse>
    ) async throws {
        throw RPCError(.unimplemented, "this server does not serve streaming inference (ModelStreamInfer)")
    }
}

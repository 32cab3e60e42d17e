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
    /// ModelStatistics (Triton's extension): per model version counts and durations.
    func modelStatistics(
        _ request: ModelStatisticsRequest, context: ServerContext
    ) async throws -> ModelStatisticsResponse
    /// RepositoryIndex (Triton's extension): the repository's models and their states.
    func repositoryIndex(_ request: RepositoryIndexRequest, context: ServerContext) async throws -> RepositoryIndexResponse
    /// RepositoryModelLoad: load or reload a model (explicit model control).
    func repositoryModelLoad(
        _ request: RepositoryModelLoadRequest, context: ServerContext
    ) async throws -> RepositoryModelLoadResponse
    /// RepositoryModelUnload: stop serving a model once its calls in flight are done.
    func repositoryModelUnload(
        _ request: RepositoryModelUnloadRequest, context: ServerContext
    ) async throws -> RepositoryModelUnloadResponse

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

    public func modelStatistics(
        _ request: ModelStatisticsRequest, context: ServerContext
    ) async throws -> ModelStatisticsResponse {
        throw RPCError(.unimplemented, "this server keeps no model statistics (ModelStatistics)")
    }

    public func repositoryIndex(
        _ request: RepositoryIndexRequest, context: ServerContext
    ) async throws -> RepositoryIndexResponse {
        throw RPCError(.unimplemented, "this server has no model repository (RepositoryIndex)")
    }

    public func repositoryModelLoad(
        _ request: RepositoryModelLoadRequest, context: ServerContext
    ) async throws -> RepositoryModelLoadResponse {
        throw RPCError(.unimplemented, "this server has no model repository to load from (RepositoryModelLoad)")
    }

    public func repositoryModelUnload(
        _ request: RepositoryModelUnloadRequest, context: ServerContext
    ) async throws -> RepositoryModelUnloadResponse {
        throw RPCError(.unimplemented, "this server has no model repository (RepositoryModelUnload)")
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

import InferenceAPI
import ModelRepository
import ONNXEngine
import RPCCore
import Synchronization

/// The worker's `inference.GRPCInferenceService`: answers from the repository's current
/// snapshot, checks each request against the model, and runs it on the inference pool (through
/// the model's batcher when batching is on).
public final class ModelWorkerService: InferenceServiceHandler {
    public let store: RepositoryStore<ServedModel>
    public let pool: InferencePool
    public let serverName: String
    public let serverVersion: String
    /// The repository's reconciler, for RepositoryIndex and explicit loads and unloads.
    public let reconciler: ModelReconciler<ServedModel>?
    /// Called after an explicit load or unload (to update health).
    let repositoryChanged: @Sendable () -> Void
    private let draining = Atomic<Bool>(false)

    public init(
        store: RepositoryStore<ServedModel>, pool: InferencePool = .shared, serverName: String = "model-worker",
        serverVersion: String = ModelWorkerService.version, reconciler: ModelReconciler<ServedModel>? = nil,
        repositoryChanged: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.pool = pool
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.reconciler = reconciler
        self.repositoryChanged = repositoryChanged
    }

    /// The protocol extensions ServerMetadata lists (Triton's names).
    public static let extensions = ["model_configuration", "statistics", "model_repository", "binary_tensor_data"]

    /// The worker's release version.
    public static let version = "0.1.0"

    /// Makes ServerReady answer false from now on (shutdown has begun).
    public func beginDraining() { draining.store(true, ordering: .relaxed) }

    /// Whether the server takes inference requests: not draining and every model has a ready version.
    public var isReady: Bool { !draining.load(ordering: .relaxed) && store.snapshot.isReady }

    public func serverLive(_ request: ServerLiveRequest, context: ServerContext) async throws -> ServerLiveResponse {
        ServerLiveResponse(live: true)
    }

    public func serverReady(_ request: ServerReadyRequest, context: ServerContext) async throws -> ServerReadyResponse {
        ServerReadyResponse(ready: isReady)
    }

    public func serverMetadata(_ request: ServerMetadataRequest, context: ServerContext) async throws -> ServerMetadataResponse {
        ServerMetadataResponse(name: serverName, version: serverVersion, extensions: Self.extensions)
    }

    public func modelReady(_ request: ModelReadyRequest, context: ServerContext) async throws -> ModelReadyResponse {
        if let reconciler, reconciler.isExplicit, store.snapshot.models[request.name] == nil,
            (try? reconciler.scanner.scan().models[request.name]) != nil
        {
            return ModelReadyResponse(ready: false)  // In the repository but not loaded.
        }
        let model = try status(of: request.name)
        if request.version.isEmpty { return ModelReadyResponse(ready: model.isReady) }
        guard let version = Self.parseVersion(request.version) else { return ModelReadyResponse(ready: false) }
        return ModelReadyResponse(ready: model.versions[version]?.isReady ?? false)
    }

    public func modelMetadata(_ request: ModelMetadataRequest, context: ServerContext) async throws -> ModelMetadataResponse {
        let model = try status(of: request.name)
        let served = try resolve(model, version: request.version)
        var metadata = served.metadata
        metadata.versions = model.readyVersions.map(String.init)
        return metadata
    }

    public func modelConfig(_ request: ModelConfigRequest, context: ServerContext) async throws -> ModelConfigResponse {
        try resolve(try status(of: request.name), version: request.version).tritonConfiguration
    }

    public func modelInfer(_ request: InferRequest, context: ServerContext) async throws -> InferResponse {
        context.annotations.note(model: request.modelName, requestID: request.id)
        let served = try resolve(try status(of: request.modelName), version: request.modelVersion)
        context.annotations.note(version: String(served.version))
        let started = ContinuousClock.now
        var rows = 0
        var inputTime: Duration?
        var outputTime: Duration?
        var reachedModel = false
        var succeeded = false
        defer {
            if reachedModel { served.recorder.finished(succeeded: succeeded) }
            served.statistics.finished(
                succeeded: succeeded, rows: rows, total: started.duration(to: .now), input: inputTime, output: outputTime)
        }
        let prepared = try InferRequestValidator(model: served).validate(request)
        rows = prepared.rows
        let ran = ContinuousClock.now
        inputTime = started.duration(to: ran)
        reachedModel = true
        let outputs: [String: Tensor]
        do {
            if let batcher = served.batcher {
                outputs = try await batcher.submit(DynamicBatcher.Request(inputs: prepared.inputs, rows: prepared.rows))
            } else {
                outputs = try await served.run(prepared.inputs)
            }
        } catch let error as ONNXError {
            throw Self.rpcError(error, model: served)
        } catch let error as BatchingError {
            throw RPCError(.internal, "model '\(served.name)' version \(served.version): \(error.description)")
        }
        let converting = ContinuousClock.now
        var response = InferResponse(modelName: served.name, modelVersion: String(served.version), id: request.id)
        for output in prepared.outputs {
            guard let tensor = outputs[output.graphName] else {
                throw RPCError(
                    .internal, "model '\(served.name)' version \(served.version) did not produce output '\(output.name)'")
            }
            response.outputs.append(TensorConversion.inferTensor(name: output.name, from: tensor))
        }
        outputTime = converting.duration(to: .now)
        succeeded = true
        return response
    }

    /// Statistics of every loaded version of the named model (every model when the name is
    /// empty), or of the one version asked for.
    public func modelStatistics(
        _ request: ModelStatisticsRequest, context: ServerContext
    ) async throws -> ModelStatisticsResponse {
        let models =
            request.name.isEmpty ? store.snapshot.models.values.sorted { $0.name < $1.name } : [try status(of: request.name)]
        if !request.version.isEmpty {
            return ModelStatisticsResponse(modelStats: [try resolve(models[0], version: request.version).statistics.snapshot])
        }
        return ModelStatisticsResponse(
            modelStats: models.flatMap { model in
                model.versions.keys.sorted().compactMap { model.versions[$0]?.loaded?.statistics.snapshot }
            })
    }

    /// The model's status; NOT_FOUND naming it when the repository has no such model.
    func status(of name: String) throws(RPCError) -> ModelStatus<ServedModel> {
        let snapshot = store.snapshot
        guard let model = snapshot.models[name] else {
            let known = snapshot.models.keys.sorted().joined(separator: ", ")
            let hint = reconciler?.isExplicit == true ? "; under explicit model control, load it with RepositoryModelLoad" : ""
            throw RPCError(.notFound, "unknown model '\(name)' (models: \(known.isEmpty ? "none" : known))\(hint)")
        }
        return model
    }

    /// The version to answer with: the newest ready one for an empty version.
    func resolve(_ model: ModelStatus<ServedModel>, version text: String) throws(RPCError) -> ServedModel {
        if text.isEmpty {
            guard let (_, served) = model.newestReady else {
                throw RPCError(.unavailable, "model '\(model.name)' is not available: \(model.unavailableReason)")
            }
            return served
        }
        guard let number = Self.parseVersion(text), let version = model.versions[number] else {
            let known = model.versions.keys.sorted().map(String.init).joined(separator: ", ")
            throw RPCError(
                .notFound, "model '\(model.name)' has no version '\(text)' (versions: \(known.isEmpty ? "none" : known))")
        }
        guard let served = version.loaded else {
            throw RPCError(
                .unavailable,
                "model '\(model.name)' version \(number) is not available: \(version.loadError ?? "not loaded")")
        }
        return served
    }

    static func parseVersion(_ text: String) -> Int? {
        guard let value = Int(text), value > 0 else { return nil }
        return value
    }

    static func rpcError(_ error: ONNXError, model: ServedModel) -> RPCError {
        let message = "model '\(model.name)' version \(model.version): \(error.message)"
        switch error.kind {
        case .invalidInput, .limitExceeded: return RPCError(.invalidArgument, message)
        case .invalidModel, .unsupported: return RPCError(.internal, message)
        }
    }
}

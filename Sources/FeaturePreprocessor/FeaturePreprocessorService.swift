import FeaturePipeline
import InferenceAPI
import RPCCore
import Synchronization

/// The preprocessor's `inference.GRPCInferenceService`: every pipeline spec is a model whose
/// inputs are its raw columns and whose single output is the feature matrix.
public final class FeaturePreprocessorService: InferenceServiceHandler {
    public let catalog: PipelineCatalog
    public let limits: Limits
    public let serverName: String
    private let draining = Atomic<Bool>(false)

    /// Sizes refused before any work is done.
    public struct Limits: Sendable {
        /// Rows in one request.
        public var maxRows: Int
        /// Elements of one output tensor (rows × features).
        public var maxOutputElements: Int

        public init(maxRows: Int = 1 << 20, maxOutputElements: Int = 1 << 26) {
            self.maxRows = maxRows
            self.maxOutputElements = maxOutputElements
        }
    }

    public init(catalog: PipelineCatalog, limits: Limits = Limits(), serverName: String = "feature-preprocessor") {
        self.catalog = catalog
        self.limits = limits
        self.serverName = serverName
    }

    /// The release version.
    public static let version = "0.1.0"

    /// Makes ServerReady answer false from now on (shutdown has begun).
    public func beginDraining() { draining.store(true, ordering: .relaxed) }

    /// Not draining, and every spec file has a pipeline serving.
    public var isReady: Bool { !draining.load(ordering: .relaxed) && catalog.isReady }

    public func serverLive(_ request: ServerLiveRequest, context: ServerContext) async throws -> ServerLiveResponse {
        ServerLiveResponse(live: true)
    }

    public func serverReady(_ request: ServerReadyRequest, context: ServerContext) async throws -> ServerReadyResponse {
        ServerReadyResponse(ready: isReady)
    }

    public func serverMetadata(_ request: ServerMetadataRequest, context: ServerContext) async throws -> ServerMetadataResponse {
        ServerMetadataResponse(
            name: serverName, version: Self.version, extensions: ["statistics", "model_repository", "binary_tensor_data"])
    }

    public func modelReady(_ request: ModelReadyRequest, context: ServerContext) async throws -> ModelReadyResponse {
        let entry = try entry(request.name)
        guard let served = entry.served else { return ModelReadyResponse(ready: false) }
        return ModelReadyResponse(ready: request.version.isEmpty || request.version == String(served.version))
    }

    public func modelMetadata(_ request: ModelMetadataRequest, context: ServerContext) async throws -> ModelMetadataResponse {
        try resolve(request.name, version: request.version).metadata
    }

    public func modelInfer(_ request: InferRequest, context: ServerContext) async throws -> InferResponse {
        context.annotations.note(model: request.modelName, requestID: request.id)
        let served = try resolve(request.modelName, version: request.modelVersion)
        context.annotations.note(version: String(served.version))
        let started = ContinuousClock.now
        var rows = 0
        var inputTime: Duration?
        var succeeded = false
        defer {
            served.statistics.finished(
                succeeded: succeeded, rows: rows, total: started.duration(to: .now), input: inputTime, output: nil)
        }
        let plan = served.plan
        let output = plan.spec.output
        for requested in request.outputs where requested.name != output.name {
            throw RPCError(
                .invalidArgument, "pipeline '\(served.name)' has no output '\(requested.name)' (outputs: \(output.name))")
        }
        let batch = try ColumnDecoder(spec: plan.spec, maxRows: limits.maxRows).decode(request)
        rows = batch.rows
        let transforming = ContinuousClock.now
        inputTime = started.duration(to: transforming)
        let (elements, overflow) = batch.rows.multipliedReportingOverflow(by: plan.featureCount)
        guard !overflow, elements <= limits.maxOutputElements else {
            throw RPCError(
                .invalidArgument,
                "\(batch.rows) rows × \(plan.featureCount) features is more than the limit of \(limits.maxOutputElements) output elements"
            )
        }
        let shape = [Int64(batch.rows), Int64(plan.featureCount)]
        let tensor: InferTensor
        do {
            switch output.dtype {
            case .fp32:
                tensor = InferTensor(name: output.name, shape: shape, values: try plan.transformRowMajor(batch, as: Float.self))
            case .fp64:
                tensor = InferTensor(name: output.name, shape: shape, values: try plan.transformRowMajor(batch, as: Double.self))
            }
        } catch {
            throw RPCError(.invalidArgument, "pipeline '\(served.name)': \(error.description)")
        }
        served.statistics.queued(for: .zero)
        served.statistics.computed(rows: batch.rows, duration: transforming.duration(to: .now))
        succeeded = true
        return InferResponse(modelName: served.name, modelVersion: String(served.version), id: request.id, outputs: [tensor])
    }

    /// Statistics of the named pipeline (every pipeline when the name is empty).
    public func modelStatistics(
        _ request: ModelStatisticsRequest, context: ServerContext
    ) async throws -> ModelStatisticsResponse {
        if !request.name.isEmpty {
            return ModelStatisticsResponse(modelStats: [try resolve(request.name, version: request.version).statistics.snapshot])
        }
        return ModelStatisticsResponse(
            modelStats: catalog.entries.values.sorted { $0.name < $1.name }.compactMap { $0.served?.statistics.snapshot })
    }

    /// Every spec file's pipeline: READY when it serves, UNAVAILABLE with the reason otherwise.
    public func repositoryIndex(
        _ request: RepositoryIndexRequest, context: ServerContext
    ) async throws -> RepositoryIndexResponse {
        var entries: [RepositoryIndexResponse.Entry] = []
        for entry in catalog.entries.values.sorted(by: { $0.name < $1.name }) {
            if let served = entry.served {
                entries.append(.init(name: entry.name, version: String(served.version), state: "READY"))
            } else if !request.ready {
                entries.append(
                    .init(name: entry.name, version: "", state: "UNAVAILABLE", reason: entry.loadError ?? "not loaded"))
            }
        }
        return RepositoryIndexResponse(models: entries)
    }

    public func repositoryModelLoad(
        _ request: RepositoryModelLoadRequest, context: ServerContext
    ) async throws -> RepositoryModelLoadResponse {
        throw Self.specFilesOnly
    }

    public func repositoryModelUnload(
        _ request: RepositoryModelUnloadRequest, context: ServerContext
    ) async throws -> RepositoryModelUnloadResponse {
        throw Self.specFilesOnly
    }

    private static let specFilesOnly = RPCError(
        .unimplemented,
        "pipelines are loaded from the spec files of --pipelines (a new or changed file is picked up within "
            + "--poll-interval-ms): add, replace or remove the file instead")

    private func entry(_ name: String) throws(RPCError) -> PipelineEntry {
        let entries = catalog.entries
        guard let entry = entries[name] else {
            let known = entries.keys.sorted().joined(separator: ", ")
            throw RPCError(.notFound, "unknown pipeline '\(name)' (pipelines: \(known.isEmpty ? "none" : known))")
        }
        return entry
    }

    /// The serving pipeline; NOT_FOUND for an unknown name or version, UNAVAILABLE when its
    /// only spec is invalid.
    private func resolve(_ name: String, version: String) throws(RPCError) -> ServedPipeline {
        let entry = try entry(name)
        guard let served = entry.served else {
            throw RPCError(.unavailable, "pipeline '\(name)' is not available: \(entry.loadError ?? "not loaded")")
        }
        guard version.isEmpty || version == String(served.version) else {
            throw RPCError(.notFound, "pipeline '\(name)' has no version '\(version)' (versions: \(served.version))")
        }
        return served
    }
}

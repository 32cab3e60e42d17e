import InferenceAPI
import ModelRepository
import RPCCore

/// Triton's model repository extension on the worker: the index of what is on disk and its
/// state, and, under explicit model control, loads and unloads on request.
extension ModelWorkerService {
    public func repositoryIndex(
        _ request: RepositoryIndexRequest, context: ServerContext
    ) async throws -> RepositoryIndexResponse {
        let reconciler = try repository()
        let onDisk: RepositoryScan
        do {
            onDisk = try reconciler.scanner.scan()
        } catch {
            throw RPCError(.unavailable, error.message)
        }
        let served = store.snapshot.models
        var entries: [RepositoryIndexResponse.Entry] = []
        for name in Set(onDisk.models.keys).union(served.keys).sorted() {
            guard let model = served[name] else {
                if !request.ready { entries.append(.init(name: name, version: "", state: "UNAVAILABLE", reason: "unloaded")) }
                continue
            }
            for version in model.versions.values.sorted(by: { $0.version < $1.version }) {
                if version.isReady {
                    entries.append(.init(name: name, version: String(version.version), state: "READY"))
                } else if !request.ready {
                    entries.append(
                        .init(
                            name: name, version: String(version.version), state: "UNAVAILABLE",
                            reason: version.loadError ?? model.configError ?? "not loaded"))
                }
            }
        }
        return RepositoryIndexResponse(models: entries)
    }

    public func repositoryModelLoad(
        _ request: RepositoryModelLoadRequest, context: ServerContext
    ) async throws -> RepositoryModelLoadResponse {
        let reconciler = try explicitControl()
        var configOverride: ModelConfig?
        for (key, value) in request.parameters.sorted(by: { $0.key < $1.key }) {
            if key == "config" {
                let text: String
                switch value {
                case .string(let string): text = string
                case .bytes(let bytes): text = String(decoding: bytes, as: UTF8.self)
                default:
                    throw RPCError(
                        .invalidArgument, "the 'config' parameter must be a string: config.yaml keys, as JSON or YAML")
                }
                do {
                    configOverride = try ModelConfig(yaml: text, file: "the 'config' parameter")
                } catch {
                    throw RPCError(.invalidArgument, error.message)
                }
            } else if key.hasPrefix("file:") {
                throw RPCError(
                    .unimplemented,
                    "loading model files sent with the request ('\(key)') is not supported: put them in the repository")
            } else {
                throw RPCError(.invalidArgument, "unknown load parameter '\(key)' (known: config)")
            }
        }
        do {
            try await reconciler.load(request.modelName, configOverride: configOverride)
        } catch {
            repositoryChanged()
            throw RPCError(error.isNotFound ? .notFound : .failedPrecondition, error.message)
        }
        repositoryChanged()
        return RepositoryModelLoadResponse()
    }

    public func repositoryModelUnload(
        _ request: RepositoryModelUnloadRequest, context: ServerContext
    ) async throws -> RepositoryModelUnloadResponse {
        let reconciler = try explicitControl()
        do {
            try await reconciler.unload(request.modelName)
        } catch {
            throw RPCError(error.isNotFound ? .notFound : .failedPrecondition, error.message)
        }
        repositoryChanged()
        return RepositoryModelUnloadResponse()
    }

    private func repository() throws(RPCError) -> ModelReconciler<ServedModel> {
        guard let reconciler else { throw RPCError(.unimplemented, "this worker has no model repository") }
        return reconciler
    }

    private func explicitControl() throws(RPCError) -> ModelReconciler<ServedModel> {
        let reconciler = try repository()
        guard reconciler.isExplicit else {
            throw RPCError(
                .failedPrecondition,
                "models are loaded by polling the repository (--model-control-mode poll): start model-worker with "
                    + "--model-control-mode explicit to load and unload them on request")
        }
        return reconciler
    }
}

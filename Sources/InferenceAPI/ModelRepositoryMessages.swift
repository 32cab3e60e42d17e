/// `RepositoryIndexRequest` (Triton's model repository extension).
public struct RepositoryIndexRequest: Sendable, Hashable {
    /// Empty: the server's only repository.
    public var repositoryName: String
    /// Only models ready to serve.
    public var ready: Bool

    public init(repositoryName: String = "", ready: Bool = false) {
        self.repositoryName = repositoryName
        self.ready = ready
    }
}

/// `RepositoryIndexResponse`: every model version the repository has, with its state.
public struct RepositoryIndexResponse: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var version: String
        /// Triton's states: `READY`, `UNAVAILABLE`, `LOADING`, `UNLOADING`.
        public var state: String
        /// Why it is not ready; empty when it is.
        public var reason: String

        public init(name: String, version: String, state: String, reason: String = "") {
            self.name = name
            self.version = version
            self.state = state
            self.reason = reason
        }
    }

    public var models: [Entry]

    public init(models: [Entry]) { self.models = models }
}

/// `ModelRepositoryParameter`: one value of a load or unload request's `parameters`.
public enum ModelRepositoryParameter: Sendable, Hashable {
    case bool(Bool)
    case int64(Int64)
    case string(String)
    case bytes([UInt8])
}

/// `RepositoryModelLoadRequest`: load (or reload) a model from the repository.
public struct RepositoryModelLoadRequest: Sendable, Hashable {
    public var repositoryName: String
    public var modelName: String
    /// `config`: a configuration override (the model's config.yaml keys, as JSON or YAML text).
    public var parameters: [String: ModelRepositoryParameter]

    public init(repositoryName: String = "", modelName: String, parameters: [String: ModelRepositoryParameter] = [:]) {
        self.repositoryName = repositoryName
        self.modelName = modelName
        self.parameters = parameters
    }
}

/// `RepositoryModelUnloadRequest`: stop serving a model once its calls in flight are done.
public struct RepositoryModelUnloadRequest: Sendable, Hashable {
    public var repositoryName: String
    public var modelName: String
    /// Accepted and ignored (`unload_dependents`: this server has no ensembles).
    public var parameters: [String: ModelRepositoryParameter]

    public init(repositoryName: String = "", modelName: String, parameters: [String: ModelRepositoryParameter] = [:]) {
        self.repositoryName = repositoryName
        self.modelName = modelName
        self.parameters = parameters
    }
}

/// `RepositoryModelLoadResponse` and `RepositoryModelUnloadResponse`: empty.
public struct RepositoryModelLoadResponse: Sendable, Hashable {
    public init() {}
}

public struct RepositoryModelUnloadResponse: Sendable, Hashable {
    public init() {}
}

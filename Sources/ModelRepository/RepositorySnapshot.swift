import Synchronization

/// What a version was loaded from: its file and the model's config at the time.
public struct LoadStamp: Sendable, Hashable {
    public var file: FileStamp
    public var config: ModelConfig
}

/// One version of a model as the worker serves it.
public struct VersionStatus<Loaded: Sendable>: Sendable {
    public var version: Int
    /// The instance answering requests; it may come from an older file when a reload failed.
    public var loaded: Loaded?
    /// What `loaded` was loaded from.
    public var loadedStamp: LoadStamp?
    /// Why the newest file (or config) of this version could not be loaded; nil when it was.
    public var loadError: String?
    /// The file and config whose load failed; not retried until one of them changes.
    public var failedStamp: LoadStamp?
    /// False when the version policy no longer wants it and it only stands in for a newer
    /// version that failed to load.
    public var isDesired: Bool

    /// Whether it can answer requests.
    @inlinable public var isReady: Bool { loaded != nil }
}

/// One model as the worker serves it.
public struct ModelStatus<Loaded: Sendable>: Sendable {
    public var name: String
    /// The config in effect (the last one that parsed); nil when none ever did.
    public var config: ModelConfig?
    /// Why the current config.yaml cannot be used; the previous state keeps serving meanwhile.
    public var configError: String?
    public var versions: [Int: VersionStatus<Loaded>]

    public init(
        name: String, config: ModelConfig? = nil, configError: String? = nil, versions: [Int: VersionStatus<Loaded>] = [:]
    ) {
        self.name = name
        self.config = config
        self.configError = configError
        self.versions = versions
    }

    // These run on every request: closures rather than key paths, because a key path in
    // generic code is instantiated at run time on each use (a measured 14% of a 1-row call),
    // and inlinable, so the worker runs them specialized for its model type instead of through
    // generic dictionary code that looks up type metadata on each call.

    /// The versions that can answer requests, ascending.
    @inlinable public var readyVersions: [Int] { versions.values.compactMap { $0.isReady ? $0.version : nil }.sorted() }

    /// The highest version that can answer requests.
    @inlinable public var newestReady: (version: Int, loaded: Loaded)? {
        var newest: (version: Int, loaded: Loaded)?
        for status in versions.values {
            guard let loaded = status.loaded, status.version > newest?.version ?? Int.min else { continue }
            newest = (status.version, loaded)
        }
        return newest
    }

    /// Whether at least one version can answer requests.
    public var isReady: Bool { versions.values.contains { $0.isReady } }

    /// Why the model cannot answer: the config error, else the newest version's load error.
    public var unavailableReason: String {
        if let configError { return configError }
        let failed = versions.values.filter { $0.loadError != nil }.max { $0.version < $1.version }
        if let failed, let error = failed.loadError { return "version \(failed.version) failed to load: \(error)" }
        if versions.isEmpty { return "no version directory with a model.onnx" }
        return "no version is ready"
    }
}

/// Every model the worker serves, as of one reconciliation; immutable once published.
public struct RepositorySnapshot<Loaded: Sendable>: Sendable {
    public var models: [String: ModelStatus<Loaded>]
    /// How many reconciliations have completed; 0 until the first.
    public var generation: Int

    public init(models: [String: ModelStatus<Loaded>] = [:], generation: Int = 0) {
        self.models = models
        self.generation = generation
    }

    /// Ready once the first reconciliation finished and every model has a version that can
    /// answer (a failed newer version does not count against it while an older one serves).
    public var isReady: Bool { generation > 0 && models.values.allSatisfy { $0.isReady } }
}

/// Holds the current snapshot: the reconciler swaps in a new one atomically, requests read it.
///
/// Requests take the snapshot (a copy of a few references) and keep using the loaded model they
/// found there, so a version that is swapped out stays alive until its last request ends.
public final class RepositoryStore<Loaded: Sendable>: Sendable {
    private let current: Mutex<RepositorySnapshot<Loaded>>

    public init(_ snapshot: RepositorySnapshot<Loaded> = RepositorySnapshot()) {
        current = Mutex(snapshot)
    }

    /// The snapshot in effect.
    public var snapshot: RepositorySnapshot<Loaded> { current.withLock { $0 } }

    /// Replaces the snapshot.
    public func publish(_ snapshot: RepositorySnapshot<Loaded>) {
        current.withLock { $0 = snapshot }
    }
}

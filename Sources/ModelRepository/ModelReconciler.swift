import Logging
import Synchronization

/// What the reconciler asks its loader to load.
public struct VersionLoadRequest: Sendable, Hashable {
    public var model: String
    public var version: Int
    public var file: FileStamp
    public var config: ModelConfig
}

/// A model name and version.
public struct ModelVersionKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var model: String
    public var version: Int

    public init(_ model: String, _ version: Int) {
        self.model = model
        self.version = version
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.model, lhs.version) < (rhs.model, rhs.version) }
    public var description: String { "\(model)/\(version)" }
}

/// What one reconciliation changed.
public struct ReconcileReport: Sendable, Hashable {
    public var loaded: [ModelVersionKey] = []
    public var unloaded: [ModelVersionKey] = []
    /// Versions whose load failed, with the reason.
    public var failed: [ModelVersionKey: String] = [:]
    /// Models whose config.yaml could not be used, with the reason.
    public var configErrors: [String: String] = [:]

    public init() {}

    /// Whether anything was loaded, unloaded or failed.
    public var changedAnything: Bool { !loaded.isEmpty || !unloaded.isEmpty || !failed.isEmpty }
}

/// Brings the served models in line with the repository on disk, off the request path.
///
/// Each pass scans the directory, loads what is new or changed (a different file or config),
/// then publishes the whole new state in one swap: requests never wait for a load. A version
/// whose load fails keeps its previous instance serving, or, when it had none, the newest
/// previously served version of the model stays as a stand-in; the failure is recorded and not
/// retried until the file or config changes. Removed versions and models are dropped from the
/// snapshot; their instances go away when their last request ends.
///
/// Under explicit model control (`startExplicitControl`), only the models loaded on request are
/// served, each with its configuration override if it was given one; `load` and `unload` change
/// that set. Passes never overlap: each waits for the one before it.
public actor ModelReconciler<Loaded: Sendable> {
    public nonisolated let scanner: RepositoryScanner
    public nonisolated let store: RepositoryStore<Loaded>
    private let load: @Sendable (VersionLoadRequest) async throws -> Loaded
    private let logger: Logger
    private var reportedWarnings: Set<String> = []
    private var reportedConfigErrors: [String: String] = [:]
    /// nil: every model found is served (polling). Else the models loaded on request.
    private var explicitlyLoaded: [String: ExplicitLoad]?
    private var passRunning = false
    private var waitingPasses: [CheckedContinuation<Void, Never>] = []

    /// A model loaded on request, and the configuration it was loaded with instead of its file.
    private struct ExplicitLoad {
        var configOverride: ModelConfig?
    }

    public init(
        scanner: RepositoryScanner, store: RepositoryStore<Loaded> = RepositoryStore(),
        logger: Logger = Logger(label: "model-repository"),
        load: @escaping @Sendable (VersionLoadRequest) async throws -> Loaded
    ) {
        self.scanner = scanner
        self.store = store
        self.logger = logger
        self.load = load
    }

    /// One pass: scan, load, swap. Fails only when the repository directory cannot be read;
    /// then the current snapshot keeps serving.
    @discardableResult
    public func reconcile() async throws(RepositoryError) -> ReconcileReport {
        try await exclusively { () async throws(RepositoryError) in try await pass() }
    }

    /// Switches to explicit model control: from now on only `models` (every model in the
    /// repository when it holds "*") and those loaded later are served.
    public func startExplicitControl(loading models: Set<String>) throws(RepositoryError) {
        let names = models.contains("*") ? Set(try scanner.scan().models.keys) : models
        explicitlyLoaded = Dictionary(uniqueKeysWithValues: names.map { ($0, ExplicitLoad()) })
        explicitMode.store(true, ordering: .relaxed)
    }

    /// Whether models are loaded and unloaded on request rather than by scanning.
    public nonisolated var isExplicit: Bool { explicitMode.load(ordering: .relaxed) }
    private nonisolated let explicitMode = Atomic<Bool>(false)

    /// Loads (or reloads) `model` from the repository, with `configOverride` in place of its
    /// config.yaml when given. A version that fails keeps its previous instance serving; a model
    /// that ends up with no version to serve is not added. Throws why when anything failed.
    @discardableResult
    public func load(_ model: String, configOverride: ModelConfig?) async throws(RepositoryError) -> ReconcileReport {
        try await exclusively { () async throws(RepositoryError) in
            guard var loaded = explicitlyLoaded else { throw RepositoryError("explicit model control is off") }
            let found = try scanner.scan().models
            guard found[model] != nil else {
                let known = found.keys.sorted().joined(separator: ", ")
                throw RepositoryError.notFound(
                    "model '\(model)' is not in the repository (models: \(known.isEmpty ? "none" : known))")
            }
            let before = loaded[model]
            loaded[model] = ExplicitLoad(configOverride: configOverride)
            explicitlyLoaded = loaded
            let report = try await pass()
            let failures = report.failed.filter { $0.key.model == model }.sorted { $0.key < $1.key }.map {
                "version \($0.key.version): \($0.value)"
            }
            let problems = (report.configErrors[model].map { [$0] } ?? []) + failures
            guard !problems.isEmpty else { return report }
            if store.snapshot.models[model]?.isReady != true {
                // Nothing of it can serve: leave it as it was rather than make the server unready.
                explicitlyLoaded?[model] = before
                _ = try await pass()
            }
            let serving = store.snapshot.models[model]?.readyVersions.map(String.init).joined(separator: ", ") ?? ""
            throw RepositoryError(
                "cannot load model '\(model)': \(problems.joined(separator: "; "))"
                    + (serving.isEmpty ? "" : " (serving on: version \(serving))"))
        }
    }

    /// Stops serving `model`: it leaves the snapshot at once, so new calls are refused, while
    /// calls already holding one of its versions finish with it; it is freed after the last.
    @discardableResult
    public func unload(_ model: String) async throws(RepositoryError) -> ReconcileReport {
        try await exclusively { () throws(RepositoryError) in
            guard explicitlyLoaded != nil else { throw RepositoryError("explicit model control is off") }
            guard explicitlyLoaded?.removeValue(forKey: model) != nil else {
                throw RepositoryError.notFound("model '\(model)' is not loaded")
            }
            var current = store.snapshot
            var report = ReconcileReport()
            if let removed = current.models.removeValue(forKey: model) {
                report.unloaded = removed.readyVersions.map { ModelVersionKey(model, $0) }
            }
            current.generation += 1
            store.publish(current)
            log(report)
            return report
        }
    }

    /// Runs `body` after every pass started before it has ended.
    private func exclusively<Result>(
        _ body: () async throws(RepositoryError) -> Result
    ) async throws(RepositoryError) -> Result {
        while passRunning { await withCheckedContinuation { waitingPasses.append($0) } }
        passRunning = true
        defer {
            passRunning = false
            if !waitingPasses.isEmpty { waitingPasses.removeFirst().resume() }
        }
        return try await body()
    }

    private func pass() async throws(RepositoryError) -> ReconcileReport {
        let scan = try scanner.scan()
        logWarnings(scan.warnings)
        let current = store.snapshot
        var report = ReconcileReport()
        var models: [String: ModelStatus<Loaded>] = [:]
        for (name, found) in scan.models.sorted(by: { $0.key < $1.key }) {
            var scanned = found
            if let explicitlyLoaded {
                guard let choice = explicitlyLoaded[name] else { continue }
                if let configOverride = choice.configOverride { scanned.config = .success(configOverride) }
            }
            models[name] = await reconcile(scanned, current: current.models[name], report: &report)
        }
        for (name, removed) in current.models where models[name] == nil {
            for version in removed.versions.values where version.isReady {
                report.unloaded.append(ModelVersionKey(name, version.version))
            }
        }
        report.loaded.sort()
        report.unloaded.sort()
        store.publish(RepositorySnapshot(models: models, generation: current.generation + 1))
        log(report)
        return report
    }

    /// Reconciles every `interval` (measured on `clock`) until the task is cancelled; `after`
    /// sees each new snapshot, for example to update health.
    public func run<C: Clock>(
        every interval: Duration, clock: C,
        after: @Sendable (RepositorySnapshot<Loaded>) -> Void = { _ in }
    ) async where C.Duration == Duration {
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: interval)
            } catch {
                return
            }
            do {
                try await reconcile()
            } catch {
                logger.error("cannot scan the model repository", metadata: ["error": "\(error)"])
            }
            after(store.snapshot)
        }
    }

    private func reconcile(
        _ scanned: ScannedModel, current: ModelStatus<Loaded>?, report: inout ReconcileReport
    ) async -> ModelStatus<Loaded> {
        let name = scanned.name
        var next = current ?? ModelStatus(name: name)
        let config: ModelConfig
        switch scanned.config {
        case .failure(let error):
            // Keep serving what is loaded until the file is fixed.
            next.configError = error.message
            report.configErrors[name] = error.message
            return next
        case .success(let parsed):
            config = parsed
            next.configError = nil
        }
        let old = current?.versions ?? [:]
        var versions: [Int: VersionStatus<Loaded>] = [:]
        for (version, file) in scanned.desired.sorted(by: { $0.key < $1.key }) {
            let stamp = LoadStamp(file: file, config: config)
            if var existing = old[version], existing.loadedStamp == stamp || existing.failedStamp == stamp {
                existing.isDesired = true
                versions[version] = existing
                continue
            }
            let key = ModelVersionKey(name, version)
            do {
                let loaded = try await load(VersionLoadRequest(model: name, version: version, file: file, config: config))
                versions[version] = VersionStatus(
                    version: version, loaded: loaded, loadedStamp: stamp, loadError: nil, failedStamp: nil, isDesired: true)
                report.loaded.append(key)
            } catch {
                let message = (error as? RepositoryError)?.message ?? "\(error)"
                versions[version] = VersionStatus(
                    version: version, loaded: old[version]?.loaded, loadedStamp: old[version]?.loadedStamp,
                    loadError: message, failedStamp: stamp, isDesired: true)
                report.failed[key] = message
            }
        }
        // A wanted version that cannot answer: the newest version served so far stands in.
        if versions.values.contains(where: { !$0.isReady }) {
            let standIn = old.values
                .filter { versions[$0.version] == nil && $0.isReady && scanned.versionsOnDisk[$0.version] != nil }
                .max { $0.version < $1.version }
            if var standIn {
                standIn.isDesired = false
                versions[standIn.version] = standIn
            }
        }
        for version in old.values where version.isReady && versions[version.version]?.isReady != true {
            report.unloaded.append(ModelVersionKey(name, version.version))
        }
        next.config = config
        next.versions = versions
        return next
    }

    private func logWarnings(_ warnings: [String]) {
        let current = Set(warnings)
        for warning in warnings where !reportedWarnings.contains(warning) {
            logger.warning("\(warning)")
        }
        reportedWarnings = current
    }

    private func log(_ report: ReconcileReport) {
        for key in report.loaded {
            logger.info("loaded model version", metadata: ["model": "\(key.model)", "version": "\(key.version)"])
        }
        for key in report.unloaded {
            logger.info("unloaded model version", metadata: ["model": "\(key.model)", "version": "\(key.version)"])
        }
        for (key, error) in report.failed.sorted(by: { $0.key < $1.key }) {
            logger.error(
                "model version failed to load",
                metadata: ["model": "\(key.model)", "version": "\(key.version)", "error": "\(error)"])
        }
        for (model, error) in report.configErrors where reportedConfigErrors[model] != error {
            logger.error(
                "model config is invalid; the model keeps its previous state",
                metadata: ["model": "\(model)", "error": "\(error)"])
        }
        reportedConfigErrors = report.configErrors
    }
}

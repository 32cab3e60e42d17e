import EtcdClient
import Foundation
import Logging
import RPCTransport
import Synchronization

/// One gateway replica's connection to the shared rollout state in etcd: its lease, the leader
/// election, a watched copy of `PREFIX/shared/`, and the writes (fenced so that a replica that
/// lost leadership, or wrote from a stale view, is refused).
///
/// Nothing here is on the call path: calls route from the weights already applied, and every
/// etcd failure only marks the session cut off until an operation succeeds again.
public final class CoordinationSession: Sendable {
    public struct Settings: Sendable {
        public var etcd: EtcdConfiguration
        public var keys: RolloutKeys
        /// Seconds the leader's lease lives without a keep-alive: how long a dead leader holds
        /// the role.
        public var leaseTTL: Int64
        public var replicaID: String

        public init(etcd: EtcdConfiguration, keys: RolloutKeys, leaseTTL: Int64 = 5, replicaID: String) {
            self.etcd = etcd
            self.keys = keys
            self.leaseTTL = leaseTTL
            self.replicaID = replicaID
        }
    }

    /// The watched copy of `PREFIX/shared/`.
    public struct View: Sendable {
        public struct Rollout: Sendable {
            /// Nil when the value is not a rollout record (`problem` says why).
            public var record: RolloutRecord?
            public var revision: Int64
            public var problem: String?
        }

        public var leader: String?
        public var rollouts: [String: Rollout] = [:]
        public var hints: ClusterHints?
        /// The etcd revision the copy is at.
        public var revision: Int64 = 0
    }

    /// How this replica stands with etcd, for the status and the metrics.
    public struct Standing: Sendable {
        public var connected: Bool
        /// Since when etcd has been unreachable (nil while connected).
        public var cutOffSince: Date?
        public var lastError: String?
        public var isLeader: Bool
        public var leader: String?
    }

    public let settings: Settings
    public let client: EtcdClient
    let logger: Logger
    private let state: Mutex<SessionState>
    /// Told after every change of the view (from the watch or this replica's own writes).
    private let changes: AsyncStream<Void>.Continuation
    public let viewChanges: AsyncStream<Void>

    private struct SessionState {
        var view = View()
        var lease: Int64?
        var lastKeepAlive: ContinuousClock.Instant?
        var connected = false
        var cutOffSince: Date? = Date()
        var lastError: String?
        var reportedProblems: Set<String> = []
    }

    public var replicaID: String { settings.replicaID }
    public var keys: RolloutKeys { settings.keys }

    public init(settings: Settings, logger: Logger, client: EtcdClient? = nil) {
        self.settings = settings
        self.logger = logger
        self.client = client ?? EtcdClient(configuration: settings.etcd, logger: logger)
        state = Mutex(SessionState())
        (viewChanges, changes) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public var view: View { state.withLock { $0.view } }

    public var standing: Standing {
        let ttl = Duration.seconds(settings.leaseTTL)
        return state.withLock { state in
            let leaseAlive = state.lastKeepAlive.map { ContinuousClock.now - $0 < ttl } ?? false
            return Standing(
                connected: state.connected, cutOffSince: state.cutOffSince, lastError: state.lastError,
                isLeader: leaseAlive && state.lease != nil && state.view.leader == settings.replicaID,
                leader: state.view.leader)
        }
    }

    public var isLeader: Bool { standing.isLeader }

    // MARK: Running

    /// Loads the shared state once (bounded by the request timeout), so a replica that starts
    /// mid-rollout serves the current weights from its first call. Returns false when etcd could
    /// not be reached; `run()` keeps trying.
    @discardableResult
    public func load() async -> Bool {
        do {
            let (values, revision) = try await client.getPrefix(keys.shared)
            replaceView(values, revision: revision)
            reconnected()
            return true
        } catch {
            cutOff(error, doing: "reading the shared rollout state")
            return false
        }
    }

    /// Keeps the lease alive and the view current until cancelled. Call `resign()` afterwards,
    /// outside the cancelled task, so that another replica can lead at once.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.keepLease() }
            group.addTask { await self.watch() }
            await group.waitForAll()
        }
    }

    /// Revokes the lease: the leader key and this replica's report go with it.
    public func resign() async {
        let lease = state.withLock { state in
            defer { state.lease = nil }
            return state.lease
        }
        guard let lease else { return }
        try? await client.revokeLease(lease)
    }

    private func keepLease() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                if let lease = state.withLock({ $0.lease }) {
                    _ = try await client.keepAliveOnce(lease)
                } else {
                    let lease = try await client.grantLease(ttl: settings.leaseTTL)
                    state.withLock { $0.lease = lease }
                }
                state.withLock { $0.lastKeepAlive = .now }
                reconnected()
                failures = 0
                try? await Task.sleep(for: .milliseconds(settings.leaseTTL * 1000 / 3))
            } catch {
                failures += 1
                if error.kind == .leaseNotFound {
                    let wasLeader = isLeader
                    state.withLock { state in
                        state.lease = nil
                        state.lastKeepAlive = nil
                    }
                    logger.warning(
                        "the coordination lease expired\(wasLeader ? "; this replica is no longer the leader" : "")")
                    continue
                }
                cutOff(error, doing: "keeping the coordination lease alive")
                try? await Task.sleep(for: Self.retryBackoff.delay(attempt: failures))
            }
        }
    }

    /// List, then watch from the listed revision; on any failure list again after a backoff.
    private func watch() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let (values, revision) = try await client.getPrefix(keys.shared)
                replaceView(values, revision: revision)
                reconnected()
                failures = 0
                for try await batch in client.watch(prefix: keys.shared, fromRevision: revision + 1) {
                    apply(batch)
                }
            } catch {
                guard !Task.isCancelled else { return }
                failures += 1
                cutOff(error, doing: "watching the shared rollout state")
                try? await Task.sleep(for: Self.retryBackoff.delay(attempt: failures))
            }
        }
    }

    /// Between failed lease or watch attempts: 100 ms growing 1.6 times up to 2 s, ± 20 %.
    private static let retryBackoff: ClientConfiguration.Backoff = {
        var backoff = ClientConfiguration.Backoff()
        backoff.maximum = .seconds(2)
        return backoff
    }()

    // MARK: Leadership

    /// Becomes the leader when no replica is: creates the leader key under this replica's lease
    /// only if it does not exist.
    public func campaignIfNoLeader() async {
        guard view.leader == nil, let lease = state.withLock({ $0.lease }) else { return }
        do {
            let result = try await client.txn(
                if: [.createRevision(keys.leader, equals: 0)],
                then: [.put(keys.leader, Array(replicaID.utf8), lease: lease)],
                else: [.get(keys.leader)])
            reconnected()
            let leader =
                result.succeeded ? replicaID : result.ranges.first?.first?.string
            updateView { $0.leader = leader }
            if result.succeeded { logger.notice("this replica is now the rollout leader", metadata: ["replica": "\(replicaID)"]) }
        } catch {
            cutOff(error, doing: "campaigning for leadership")
        }
    }

    // MARK: Writes

    /// Why a write did not happen.
    public enum WriteError: Error, Sendable {
        /// The key changed since `revision` was read, or (for a leader's write) this replica is no
        /// longer the leader.
        case refused
        case unreachable(String)
    }

    /// Writes a model's rollout if its key is still at `revision` (0: absent). With `asLeader`,
    /// only while this replica holds the leader key: a deposed leader can never overwrite its
    /// successor's decision. Returns the new revision.
    public func writeRollout(
        _ record: RolloutRecord, model: String, expecting revision: Int64, asLeader: Bool
    ) async throws(WriteError) -> Int64 {
        let key = keys.rollout(model)
        var compares: [EtcdCompare] = [.modRevision(key, equals: revision)]
        if asLeader { compares.append(.value(keys.leader, equals: Array(replicaID.utf8))) }
        let written = try await write(compares, key: key, value: RecordCoding.encode(record))
        updateView { view in
            view.rollouts[model] = View.Rollout(record: record, revision: written)
            view.revision = max(view.revision, written)
        }
        return written
    }

    /// Writes the cluster hints, only while this replica is the leader.
    public func writeHints(_ hints: ClusterHints) async throws(WriteError) {
        let written = try await write(
            [.value(keys.leader, equals: Array(replicaID.utf8))], key: keys.hints, value: RecordCoding.encode(hints))
        updateView { view in
            view.hints = hints
            view.revision = max(view.revision, written)
        }
    }

    /// Publishes this replica's measurements under its lease (they vanish with it).
    public func publish(_ report: ReplicaReport) async {
        guard let lease = state.withLock({ $0.lease }) else { return }
        do {
            _ = try await client.put(keys.report(replicaID), RecordCoding.encode(report), lease: lease)
            reconnected()
        } catch {
            cutOff(error, doing: "publishing this replica's measurements")
        }
    }

    /// Every live replica's report; unreadable ones are logged (once per key) and skipped.
    public func reports() async -> [ReplicaReport]? {
        do {
            let (values, _) = try await client.getPrefix(keys.reports)
            reconnected()
            return values.compactMap { value -> ReplicaReport? in
                do throws(RecordError) {
                    return try RecordCoding.decode(ReplicaReport.self, from: value.value)
                } catch {
                    reportProblem(key: value.key, error.reason)
                    return nil
                }
            }
        } catch {
            cutOff(error, doing: "reading the replicas' measurements")
            return nil
        }
    }

    /// Reads one model's rollout from etcd now (not from the watched copy).
    public func readRollout(model: String) async throws(WriteError) -> View.Rollout? {
        do {
            let (value, _) = try await client.get(keys.rollout(model))
            reconnected()
            return value.map(Self.rollout)
        } catch {
            cutOff(error, doing: "reading the rollout of \(model)")
            throw .unreachable(error.description)
        }
    }

    private func write(_ compares: [EtcdCompare], key: String, value: [UInt8]) async throws(WriteError) -> Int64 {
        do {
            let result = try await client.txn(if: compares, then: [.put(key, value)])
            reconnected()
            guard result.succeeded else { throw WriteError.refused }
            return result.revision
        } catch let error as WriteError {
            throw error
        } catch let error as EtcdError {
            cutOff(error, doing: "writing \(key)")
            throw .unreachable(error.description)
        } catch {
            throw .unreachable("\(error)")
        }
    }

    // MARK: The view

    private func replaceView(_ values: [EtcdKeyValue], revision: Int64) {
        var view = View()
        view.revision = revision
        for value in values { absorb(value, into: &view) }
        state.withLock { $0.view = view }
        changes.yield()
    }

    private func apply(_ batch: EtcdWatchBatch) {
        updateView { view in
            for event in batch.events {
                switch event {
                case .put(let value): absorb(value, into: &view)
                case .delete(let value): forget(value.key, in: &view)
                }
            }
            view.revision = max(view.revision, batch.revision)
        }
    }

    private func updateView(_ change: (inout View) -> Void) {
        state.withLock { change(&$0.view) }
        changes.yield()
    }

    private func absorb(_ value: EtcdKeyValue, into view: inout View) {
        if value.key == keys.leader {
            view.leader = value.string
        } else if value.key == keys.hints {
            do {
                view.hints = try RecordCoding.decode(ClusterHints.self, from: value.value)
            } catch {
                view.hints = nil
                reportProblem(key: value.key, error.reason)
            }
        } else if let model = keys.model(ofRolloutKey: value.key) {
            let rollout = Self.rollout(value)
            if let problem = rollout.problem { reportProblem(key: value.key, problem) }
            // A watch can replay an older event after this replica's own write: keep the newest.
            if (view.rollouts[model]?.revision ?? 0) <= rollout.revision { view.rollouts[model] = rollout }
        }
    }

    private func forget(_ key: String, in view: inout View) {
        if key == keys.leader {
            view.leader = nil
        } else if key == keys.hints {
            view.hints = nil
        } else if let model = keys.model(ofRolloutKey: key) {
            view.rollouts[model] = nil
        }
    }

    private static func rollout(_ value: EtcdKeyValue) -> View.Rollout {
        do {
            return View.Rollout(
                record: try RecordCoding.decode(RolloutRecord.self, from: value.value), revision: value.modRevision)
        } catch {
            return View.Rollout(record: nil, revision: value.modRevision, problem: error.reason)
        }
    }

    // MARK: Standing

    private func reconnected() {
        let was = state.withLock { state in
            defer {
                state.connected = true
                state.cutOffSince = nil
                state.lastError = nil
            }
            return state.connected
        }
        if !was { logger.notice("etcd reachable: following the shared rollout state") }
    }

    private func cutOff(_ error: any Error, doing what: String) {
        let message = "\(what): \(error)"
        let was = state.withLock { state in
            defer {
                state.connected = false
                if state.cutOffSince == nil { state.cutOffSince = Date() }
                state.lastError = message
            }
            return state.connected
        }
        if was {
            logger.error(
                "etcd unreachable: calls go on with the last known weights, the rollout waits",
                metadata: ["error": "\(message)"])
        }
    }

    private func reportProblem(key: String, _ reason: String) {
        let first = state.withLock { $0.reportedProblems.insert(key + "\u{0}" + reason).inserted }
        if first {
            logger.error(
                "ignoring an unreadable value under the coordination prefix", metadata: ["key": "\(key)", "error": "\(reason)"])
        }
    }
}

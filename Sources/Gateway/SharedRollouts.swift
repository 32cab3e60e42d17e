import Foundation
import Logging
import RolloutCoordination
import Routing
import Synchronization

/// Canary rollouts shared by every gateway replica through etcd (`--coordination`): each replica
/// applies the rollout records it watches and publishes its measurements; the leader judges the
/// merged measurements, writes each decision and computes cluster-wide autoscaling hints.
///
/// Replaces `CanaryDriver`'s analysis and state file when coordination is on; calls never wait
/// for any of it.
public final class SharedRollouts: Sendable {
    public let session: CoordinationSession
    let table: RoutingTable
    let metrics: GatewayMetrics
    let logger: Logger
    private let state = Mutex(Progress())
    /// Panic mode's clock starts here.
    private let origin = ContinuousClock.now

    private struct Progress {
        /// The record revision each model follows; its measurements started then.
        var applied: [String: Int64] = [:]
        /// Models this replica rolled back on its own while etcd was unreachable, with the revision
        /// the rollback replaced; reported once etcd is back.
        var localRollbacks: [String: (base: Int64, state: CanaryState)] = [:]
        /// Why each model does not follow the shared record, logged once per reason.
        var notFollowing: [String: String] = [:]
        var lastDecisions: [String: String] = [:]
        var panic: [String: PanicMode] = [:]
        var lastHints: ClusterHints?
        var lastHintsWrite: ContinuousClock.Instant?
    }

    /// The hints are rewritten at least this often while they change only in their averages.
    static let hintsRefresh: Duration = .seconds(5)

    public init(session: CoordinationSession, table: RoutingTable, metrics: GatewayMetrics, logger: Logger) {
        self.session = session
        self.table = table
        self.metrics = metrics
        self.logger = logger
    }

    public var replicaID: String { session.replicaID }

    /// This gateway's route-set identity, from the models its routes name.
    var routeSet: String { RouteSetIdentity.of(models: table.config.models.keys) }

    /// Reads the shared state once before the gateway serves (when etcd answers in time).
    public func load() async {
        if !(await session.load()) {
            logger.error(
                "etcd unreachable at start: serving the routes' weights and retrying",
                metadata: ["error": "\(session.standing.lastError ?? "")"])
        }
    }

    /// Follows the view until cancelled: applies every change as it arrives.
    public func follow() async {
        for await _ in session.viewChanges {
            apply()
            // The leader key went away (lease expired or revoked): stand at once, not on the next tick.
            if session.view.leader == nil { await session.campaignIfNoLeader() }
        }
    }

    // MARK: Applying the shared state

    /// Applies every record again, as after a routes reload that rebuilt the models.
    public func reapply() {
        state.withLock { $0.applied = [:] }
        apply()
    }

    /// Brings every model's canary state to the record it should follow.
    public func apply(now: Date = Date()) {
        let view = session.view
        let routeSet = self.routeSet
        state.withLock { progress in
            for model in table.models.values {
                guard let policy = model.route.canary else { continue }
                guard let rollout = view.rollouts[model.name] else { continue }
                if progress.localRollbacks[model.name]?.base == rollout.revision { continue }
                guard let record = rollout.record else {
                    notFollowing(model.name, "its shared record is unreadable (\(rollout.problem ?? "?"))", &progress)
                    continue
                }
                if let mismatch = Self.mismatch(record, routeSet: routeSet, policy: policy) {
                    notFollowing(model.name, mismatch + "; keeping the routes' declared weights until they match", &progress)
                    if model.canary != nil { model.canary = nil }
                    continue
                }
                if progress.notFollowing.removeValue(forKey: model.name) != nil {
                    logger.notice("following the shared rollout again", metadata: ["model": "\(model.name)"])
                }
                guard progress.applied[model.name] != rollout.revision else { continue }
                let before = model.canary
                progress.applied[model.name] = rollout.revision
                progress.localRollbacks[model.name] = nil
                model.canary = record.state
                model.versions[policy.stable]?.stats.reset()
                model.versions[policy.candidate]?.stats.reset()
                metrics.coordinationApplyLag(.milliseconds(Int64(now.timeIntervalSince(record.writtenAt) * 1000)))
                metrics.canary(
                    model: model.name, weight: record.state.weights[policy.candidate].map { Int($0) } ?? 0,
                    phase: record.state.phase.name)
                if before != record.state, record.writer != replicaID {
                    logger.info(
                        "applied the shared rollout",
                        metadata: [
                            "model": "\(model.name)", "phase": "\(record.state.phase.name)",
                            "weight": "\(record.state.candidateWeight)", "writer": "\(record.writer)",
                            "reason": "\(record.state.history.last?.reason ?? "")",
                        ])
                }
            }
        }
    }

    /// Why a readable record is not for this gateway's routes: another route set, or other versions.
    private static func mismatch(_ record: RolloutRecord, routeSet: String, policy: CanaryPolicy) -> String? {
        if record.routeSet != routeSet {
            return "its shared record belongs to route set \(record.routeSet), this gateway's routes are \(routeSet)"
        }
        if !record.state.matches(policy) {
            return "its shared rollout is \(record.state.stable) -> \(record.state.candidate), this gateway's routes say"
                + " \(policy.stable) -> \(policy.candidate)"
        }
        return nil
    }

    private func notFollowing(_ model: String, _ reason: String, _ progress: inout Progress) {
        guard progress.notFollowing[model] != reason else { return }
        progress.notFollowing[model] = reason
        logger.warning("not following the shared rollout", metadata: ["model": "\(model)", "reason": "\(reason)"])
    }

    // MARK: The tick

    /// Publishes this replica's measurements; the leader then judges every rollout on all
    /// replicas' measurements and refreshes the hints. Cut off from etcd, a replica may only roll
    /// its own traffic back to stable.
    public func tick(now: Date = Date()) async {
        let standing = session.standing
        metrics.coordination(leader: standing.isLeader, connected: standing.connected)
        await session.publish(report())
        await reportLocalRollbacks()
        guard session.standing.connected else {
            rollBackLocallyOnBreach(now: now)
            return
        }
        await session.campaignIfNoLeader()
        guard session.isLeader, let reports = await session.reports() else { return }
        let routeSet = self.routeSet
        let ours = reports.filter { $0.routeSet == routeSet }
        for model in table.models.values.sorted(by: { $0.name < $1.name }) {
            guard let policy = model.route.canary else { continue }
            await lead(model, policy: policy, reports: ours, now: now)
        }
        await writeHints(ours)
    }

    /// What this replica measured since each model's record was applied.
    private func report() -> ReplicaReport {
        let applied = state.withLock { $0.applied }
        var models: [String: ReplicaReport.Model] = [:]
        for model in table.models.values {
            var windows: [String: StatsWindow] = [:]
            var concurrency: [String: ConcurrencyShare] = [:]
            for (version, runtime) in model.versions {
                if model.route.canary != nil { windows[version] = runtime.stats.window() }
                let averages = runtime.autoscaler.averages()
                concurrency[version] = ConcurrencyShare(stable: averages.stable, panic: averages.panic)
            }
            models[model.name] = .init(epoch: applied[model.name] ?? 0, windows: windows, concurrency: concurrency)
        }
        return ReplicaReport(replica: replicaID, routeSet: routeSet, models: models)
    }

    /// The leader's part for one model: start the rollout the routes declare when there is none
    /// (or it is unreadable, or for other versions), else judge the current step.
    private func lead(_ model: ModelRuntime, policy: CanaryPolicy, reports: [ReplicaReport], now: Date) async {
        let rollout = session.view.rollouts[model.name]
        guard let rollout, let record = rollout.record, Self.mismatch(record, routeSet: routeSet, policy: policy) == nil else {
            let state =
                model.canary.flatMap { $0.matches(policy) ? $0 : nil }
                ?? CanaryState.start(policy, at: now, reason: "started by the routes")
            let why = rollout == nil ? "no shared rollout yet" : "the shared record does not match the leader's routes"
            logger.notice("writing the rollout from the leader's routes", metadata: ["model": "\(model.name)", "why": "\(why)"])
            await write(state, model: model, expecting: rollout?.revision ?? 0, asLeader: true)
            return
        }
        let epoch = rollout.revision
        var stable: [StatsWindow] = []
        var candidate: [StatsWindow] = []
        for report in reports {
            guard let measured = report.models[model.name], measured.epoch == epoch else { continue }
            if let window = measured.windows[policy.stable] { stable.append(window) }
            if let window = measured.windows[policy.candidate] { candidate.append(window) }
        }
        var decision = CanaryAnalysis.evaluate(
            policy: policy, state: record.state, stable: StatsWindow.merged(stable),
            candidate: StatsWindow.merged(candidate), now: now)
        let sources =
            "\(candidate.count) replicas reporting, candidate calls \(candidate.map { String($0.calls) }.joined(separator: "+"))"
        state.withLock { $0.lastDecisions[model.name] = "\(decision.reason) (\(sources))" }
        if case .hold = decision.action { return }
        decision.state.history[decision.state.history.count - 1].reason += " (\(sources))"
        if await write(decision.state, model: model, expecting: epoch, asLeader: true) {
            CanaryDriver.report(decision, model: model.name, candidate: policy.candidate, metrics: metrics, logger: logger)
        }
    }

    /// Writes a model's rollout and applies it here at once; false when refused or unreachable.
    @discardableResult
    private func write(_ state: CanaryState, model: ModelRuntime, expecting revision: Int64, asLeader: Bool) async -> Bool {
        let record = RolloutRecord(routeSet: routeSet, writer: replicaID, writtenAt: Date(), state: state)
        do {
            _ = try await session.writeRollout(record, model: model.name, expecting: revision, asLeader: asLeader)
            apply()
            return true
        } catch .refused {
            metrics.coordinationWriteRefused(kind: asLeader ? "leader" : "action")
            logger.warning(
                "shared rollout write refused: \(asLeader ? "no longer the leader, or " : "")the record changed meanwhile; following it",
                metadata: ["model": "\(model.name)"])
            return false
        } catch {
            return false
        }
    }

    /// Sums every replica's concurrency per version and turns it into one hint per version, the
    /// same rule one gateway applies to its own traffic.
    private func writeHints(_ reports: [ReplicaReport]) async {
        let now = ContinuousClock.now
        let seconds = origin.duration(to: now).secondsValue
        var models: [String: [String: ClusterHints.Hint]] = [:]
        let hints: ClusterHints = state.withLock { progress in
            for model in table.models.values {
                let policy = model.route.autoscalingPolicy
                for (version, runtime) in model.versions {
                    var stable = 0.0
                    var panic = 0.0
                    for report in reports {
                        guard let share = report.models[model.name]?.concurrency[version] else { continue }
                        stable += share.stable
                        panic += share.panic
                    }
                    let ready = runtime.endpoints.usableCount
                    let key = model.name + "\u{0}" + version
                    var mode = progress.panic[key] ?? PanicMode()
                    let hint = mode.hint(
                        stableConcurrency: stable, panicConcurrency: panic, readyReplicas: ready, policy: policy,
                        panicThreshold: runtime.autoscaler.panicThreshold, now: seconds)
                    progress.panic[key] = mode
                    models[model.name, default: [:]][version] = ClusterHints.Hint(
                        stableConcurrency: stable, panicConcurrency: panic, desiredReplicas: hint.desiredReplicas,
                        readyReplicas: ready, inPanic: hint.inPanic)
                }
            }
            return ClusterHints(leader: replicaID, replicas: reports.count, models: models)
        }
        let due: Bool = state.withLock { progress in
            guard let last = progress.lastHints, let written = progress.lastHintsWrite else { return true }
            return Self.decisions(last) != Self.decisions(hints) || now - written >= Self.hintsRefresh
        }
        guard due else { return }
        do {
            try await session.writeHints(hints)
            state.withLock { progress in
                progress.lastHints = hints
                progress.lastHintsWrite = now
            }
        } catch {
            metrics.coordinationWriteRefused(kind: "hints")
        }
    }

    /// The parts of the hints that scaling acts on.
    private static func decisions(_ hints: ClusterHints) -> [String: [String: [Int]]] {
        hints.models.mapValues { $0.mapValues { [$0.desiredReplicas, $0.readyReplicas, $0.inPanic ? 1 : 0] } }
    }

    /// The cluster-wide hint for a version, when the leader published one.
    public func clusterHint(model: String, version: String) -> ClusterHints.Hint? {
        session.view.hints?.models[model]?[version]
    }

    // MARK: Cut off from etcd

    /// While etcd is unreachable no step advances, but a replica whose own traffic breaks a
    /// threshold moves its own weight back to stable (the safe direction).
    private func rollBackLocallyOnBreach(now: Date) {
        for model in table.models.values {
            guard let policy = model.route.canary, let current = model.canary, current.phase == .progressing,
                let stable = model.versions[policy.stable], let candidate = model.versions[policy.candidate]
            else { continue }
            let decision = CanaryAnalysis.evaluate(
                policy: policy, state: current, stable: stable.stats.snapshot(), candidate: candidate.stats.snapshot(), now: now)
            guard decision.action == .rollBack else { continue }
            let base = state.withLock { $0.applied[model.name] ?? 0 }
            var rolledBack = decision.state
            rolledBack.history[rolledBack.history.count - 1].reason += " (on this replica's traffic while etcd was unreachable)"
            model.canary = rolledBack
            state.withLock { $0.localRollbacks[model.name] = (base, rolledBack) }
            metrics.canaryTransition(model: model.name, phase: rolledBack.phase.name)
            logger.error(
                "canary rolled back on this replica while etcd is unreachable; reported when it is back",
                metadata: ["model": "\(model.name)", "reason": "\(decision.reason)"])
        }
    }

    /// Writes the rollbacks made while cut off, if the record is still the one they replaced.
    private func reportLocalRollbacks() async {
        let pending = state.withLock { $0.localRollbacks }
        for (name, rollback) in pending {
            guard let model = table.model(name) else { continue }
            guard let current = try? await session.readRollout(model: name) else { return }
            if current.revision == rollback.base,
                await write(rollback.state, model: model, expecting: rollback.base, asLeader: false)
            {
                logger.notice("reported the rollback made while etcd was unreachable", metadata: ["model": "\(name)"])
            } else {
                logger.notice(
                    "the shared rollout moved on while this replica was cut off; following it instead of the local rollback",
                    metadata: ["model": "\(name)"])
                state.withLock { $0.localRollbacks[name] = nil }
                apply()
            }
        }
    }

    // MARK: Operator actions and status

    /// Applies an operator action to the shared record (whichever replica receives it), so it
    /// takes effect on every replica. Fails with `SharedActionError` when etcd cannot be reached or
    /// the record kept changing.
    public func act(on model: ModelRuntime, _ action: (inout CanaryState?, CanaryPolicy) throws -> Void) async throws {
        guard let policy = model.route.canary else {
            throw CanaryActionError(message: "model \"\(model.name)\" has no canary policy in its route")
        }
        for _ in 0..<3 {
            let rollout: CoordinationSession.View.Rollout?
            do {
                rollout = try await session.readRollout(model: model.name)
            } catch {
                throw SharedActionError.unreachable(session.standing.lastError ?? "etcd is unreachable")
            }
            var state: CanaryState? = rollout?.record.flatMap { $0.state.matches(policy) ? $0.state : nil } ?? model.canary
            try action(&state, policy)
            guard let state else { return }
            let record = RolloutRecord(routeSet: routeSet, writer: replicaID, writtenAt: Date(), state: state)
            do {
                _ = try await session.writeRollout(record, model: model.name, expecting: rollout?.revision ?? 0, asLeader: false)
            } catch .refused {
                continue
            } catch .unreachable(let message) {
                throw SharedActionError.unreachable(message)
            }
            apply()
            CanaryDriver.reportAction(state, model: model.name, scope: ", for every replica", metrics: metrics, logger: logger)
            return
        }
        throw SharedActionError.contended
    }

    public func lastDecision(for model: String) -> String {
        state.withLock { $0.lastDecisions[model] } ?? ""
    }

    /// How this replica stands with the shared state of `model`, in words.
    public func coordinationText(for model: String) -> String {
        let standing = session.standing
        let (notFollowing, localRollback) = state.withLock { ($0.notFollowing[model], $0.localRollbacks[model] != nil) }
        var parts: [String] = []
        if !standing.connected {
            let since = standing.cutOffSince.map { " since \($0.formatted(.iso8601))" } ?? ""
            parts.append(
                "etcd unreachable\(since) (\(standing.lastError ?? "no answer")): serving the last known weights, the rollout waits"
            )
        } else if standing.isLeader {
            parts.append("leader: this replica judges the merged measurements")
        } else {
            parts.append("following \(standing.leader ?? "no leader yet")")
        }
        if let notFollowing { parts.append("not following: \(notFollowing)") }
        if localRollback { parts.append("rolled back on this replica while cut off; to be reported") }
        return parts.joined(separator: "; ")
    }
}

/// An operator action the shared state could not take.
public enum SharedActionError: Error, CustomStringConvertible {
    case unreachable(String)
    case contended

    public var description: String {
        switch self {
        case .unreachable(let message): "the shared rollout state is unreachable, nothing changed: \(message)"
        case .contended: "the shared rollout kept changing while the action was applied; try again"
        }
    }
}

import Foundation
import Logging
import Routing

/// Runs the automated canary analysis on a tick and persists every rollout's state, so a
/// restarted gateway resumes where it was.
public final class CanaryDriver: Sendable {
    public let table: RoutingTable
    public let statePath: String?
    public let metrics: GatewayMetrics
    public let logger: Logger
    /// The last decision's reason per model, for the admin service.
    private let lastDecisions = MutexBox<[String: String]>([:])
    /// What was last written, to write only on change.
    private let persisted = MutexBox<[String: CanaryState]?>(nil)

    public init(table: RoutingTable, statePath: String?, metrics: GatewayMetrics, logger: Logger) {
        self.table = table
        self.statePath = statePath
        self.metrics = metrics
        self.logger = logger
    }

    /// The saved states, or none when there is no file yet; a corrupt file is reported and ignored
    /// (rollouts then start over) rather than keeping the gateway down.
    public func loadSavedStates() -> [String: CanaryState] {
        guard let statePath else { return [:] }
        do {
            let states = try CanaryStateFile.read(path: statePath)
            persisted.value = states
            return states
        } catch {
            logger.error("cannot read the canary state file; rollouts start over", metadata: ["error": "\(error)"])
            return [:]
        }
    }

    public func lastDecision(for model: String) -> String { lastDecisions.value[model] ?? "" }

    /// Judges every progressing canary once.
    public func evaluate(now: Date = Date()) {
        for model in table.models.values {
            guard let policy = model.route.canary,
                let stable = model.versions[policy.stable], let candidate = model.versions[policy.candidate]
            else { continue }
            model.updateCanary { state in
                guard let current = state else { return }
                let decision = CanaryAnalysis.evaluate(
                    policy: policy, state: current, stable: stable.stats.snapshot(),
                    candidate: candidate.stats.snapshot(), now: now)
                state = decision.state
                lastDecisions.withLock { $0[model.name] = decision.reason }
                if decision.resetsMeasurements {
                    stable.stats.reset()
                    candidate.stats.reset()
                }
                if case .hold = decision.action { return }
                Self.report(decision, model: model.name, candidate: policy.candidate, metrics: metrics, logger: logger)
            }
            if let state = model.canary {
                metrics.canary(
                    model: model.name, weight: state.weights[policy.candidate].map { Int($0) } ?? 0, phase: state.phase.name)
            }
        }
        persist()
    }

    /// Counts and logs an analysis decision that changed a rollout.
    static func report(_ decision: CanaryDecision, model: String, candidate: String, metrics: GatewayMetrics, logger: Logger) {
        metrics.canaryTransition(model: model, phase: decision.state.phase.name)
        logger.notice(
            "canary \(decision.state.phase.name)",
            metadata: [
                "model": "\(model)", "candidate": "\(candidate)", "weight": "\(decision.state.candidateWeight)",
                "reason": "\(decision.reason)",
            ])
    }

    /// Counts and logs an operator's change of a rollout; `scope` ends the message (", for every
    /// replica" when the change is shared).
    static func reportAction(_ state: CanaryState, model: String, scope: String, metrics: GatewayMetrics, logger: Logger) {
        logger.notice(
            "canary \(state.phase.name) by an operator\(scope)",
            metadata: [
                "model": "\(model)", "weight": "\(state.candidateWeight)", "reason": "\(state.history.last?.reason ?? "")",
            ])
        metrics.canaryTransition(model: model, phase: state.phase.name)
    }

    /// Applies an operator action to a model's canary, resets the step's measurements and persists.
    public func act(on model: ModelRuntime, _ action: (inout CanaryState?, CanaryPolicy) throws -> Void) throws {
        guard let policy = model.route.canary else {
            throw CanaryActionError(message: "model \"\(model.name)\" has no canary policy in its route")
        }
        try model.updateCanary { state in try action(&state, policy) }
        model.versions[policy.stable]?.stats.reset()
        model.versions[policy.candidate]?.stats.reset()
        if let state = model.canary {
            Self.reportAction(state, model: model.name, scope: "", metrics: metrics, logger: logger)
        }
        persist()
    }

    /// Writes the state file when any rollout changed.
    public func persist() {
        guard let statePath else { return }
        var states: [String: CanaryState] = [:]
        for model in table.models.values {
            if let state = model.canary { states[model.name] = state }
        }
        guard persisted.value != states else { return }
        do {
            try CanaryStateFile.write(states, path: statePath)
            persisted.value = states
        } catch {
            logger.error("cannot write the canary state file", metadata: ["error": "\(error)"])
        }
    }
}

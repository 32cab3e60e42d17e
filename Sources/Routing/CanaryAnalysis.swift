import Foundation

/// The automated canary judgement: a pure function from policy, state, the step's measurements
/// and the time to the next state. The gateway calls it on a tick (say every few seconds) and
/// resets both versions' `VersionStats` when `resetsMeasurements` is set.
public enum CanaryAnalysis {
    /// Decides hold, advance, promote or roll back. A breach is judged as soon as the candidate
    /// has `minCalls` calls, even before the interval ends; passing needs both.
    ///
    /// The stable side is compared only if it had `minCalls` calls this step; otherwise the
    /// baseline kept from an earlier step stands in (and with neither, the error rate is compared
    /// with 0 and the p99 ratio is not judged).
    public static func evaluate(
        policy: CanaryPolicy, state: CanaryState, stable: VersionStatsSnapshot,
        candidate: VersionStatsSnapshot, now: Date
    ) -> CanaryDecision {
        guard state.phase == .progressing else {
            return CanaryDecision(
                action: .hold(.notProgressing), state: state,
                reason: "the canary is \(state.phase.name.replacingOccurrences(of: "_", with: " "))")
        }
        if candidate.calls >= policy.minCalls, let breach = breach(policy, state, stable, candidate) {
            var next = state
            next.transition(to: .rolledBack(reason: breach), weight: 0, at: now, reason: "rolled back: \(breach)")
            return CanaryDecision(action: .rollBack, state: next, reason: "rolled back: \(breach)")
        }
        guard candidate.calls >= policy.minCalls else {
            return CanaryDecision(
                action: .hold(.notEnoughCalls(calls: candidate.calls, needed: policy.minCalls)),
                state: state, reason: "\(candidate.calls) of \(policy.minCalls) candidate calls this step")
        }
        let elapsed = now.timeIntervalSince(state.stepStartedAt)
        guard elapsed >= policy.interval.secondsValue else {
            let remaining = Duration.milliseconds(Int64(((policy.interval.secondsValue - elapsed) * 1000).rounded(.up)))
            return CanaryDecision(
                action: .hold(.intervalNotElapsed(remaining: remaining)), state: state,
                reason: "step at \(state.candidateWeight)% passes in \(remaining.routesText)")
        }
        var next = state
        if stable.calls >= policy.minCalls {
            next.stableBaseline = .init(
                calls: stable.calls, errorRate: stable.errorRate,
                p99Microseconds: stable.p99.totalNanoseconds / 1000)
        }
        let summary = "\(candidate.calls) calls, error rate \(percent(candidate.errorRate)), p99 \(milliseconds(candidate.p99))"
        guard let index = policy.steps.firstIndex(where: { $0 > state.candidateWeight }) else {
            let reason = "promoted: last step at \(state.candidateWeight)% passed (\(summary))"
            next.transition(to: .promoted, weight: 100, at: now, reason: reason)
            return CanaryDecision(action: .promote, state: next, reason: reason)
        }
        let weight = policy.steps[index]
        let reason = "advanced from \(state.candidateWeight)% to \(weight)%: step passed (\(summary))"
        next.transition(to: .progressing, weight: weight, stepIndex: index, at: now, reason: reason)
        return CanaryDecision(action: .advance(toPercent: weight), state: next, reason: reason)
    }

    /// The first threshold the candidate breaks, in words; nil when it keeps them all.
    static func breach(
        _ policy: CanaryPolicy, _ state: CanaryState, _ stable: VersionStatsSnapshot, _ candidate: VersionStatsSnapshot
    ) -> String? {
        let yardstick: CanaryState.Baseline? =
            stable.calls >= policy.minCalls
            ? .init(calls: stable.calls, errorRate: stable.errorRate, p99Microseconds: stable.p99.totalNanoseconds / 1000)
            : state.stableBaseline
        if let cap = policy.maxErrorRateAbsolute, candidate.errorRate > cap {
            return "candidate error rate \(percent(candidate.errorRate)) is above the cap \(percent(cap))"
        }
        let stableRate = yardstick?.errorRate ?? 0
        if candidate.errorRate - stableRate > policy.maxErrorRate {
            return "candidate error rate \(percent(candidate.errorRate)) exceeds stable's \(percent(stableRate))"
                + " by more than \(percent(policy.maxErrorRate))"
        }
        if let cap = policy.maxP99, candidate.p99 > cap {
            return "candidate p99 \(milliseconds(candidate.p99)) is above the cap \(milliseconds(cap))"
        }
        if let yardstick, yardstick.p99Microseconds > 0 {
            let stableP99 = Duration.microseconds(yardstick.p99Microseconds)
            let ratio = candidate.p99.secondsValue / stableP99.secondsValue
            if ratio > policy.maxP99Ratio {
                return "candidate p99 \(milliseconds(candidate.p99)) is \(String(format: "%.2f", ratio))× stable's"
                    + " \(milliseconds(stableP99)), above \(policy.maxP99Ratio)×"
            }
        }
        return nil
    }

    private static func percent(_ rate: Double) -> String {
        String(format: "%.2f%%", rate * 100)
    }

    private static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.3fms", duration.secondsValue * 1000)
    }
}

/// What `CanaryAnalysis.evaluate` decided.
public struct CanaryDecision: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// No change.
        case hold(HoldReason)
        /// The step passed; the candidate now gets this percentage.
        case advance(toPercent: Int)
        /// The last step passed; the candidate is the stable version.
        case promote
        /// A threshold was broken; all traffic is back on stable.
        case rollBack
    }

    public enum HoldReason: Sendable, Equatable {
        /// Paused or finished; nothing to judge.
        case notProgressing
        /// The candidate has fewer than `min_calls` this step.
        case notEnoughCalls(calls: Int, needed: Int)
        /// The step has not lasted `interval` yet.
        case intervalNotElapsed(remaining: Duration)
    }

    public var action: Action
    /// The state after the decision (unchanged on hold).
    public var state: CanaryState
    /// Why, in words for logs and the admin service.
    public var reason: String

    /// True when a new step began or the rollout ended: measurements must start afresh.
    public var resetsMeasurements: Bool {
        if case .hold = action { return false }
        return true
    }
}

import Foundation

/// Operator actions on a rollout (from the admin service). Each records a transition with its
/// reason and restarts the step clock, so the caller should reset the versions' measurements.
extension CanaryState {
    /// A new rollout at the policy's first step.
    public static func start(
        _ policy: CanaryPolicy, at now: Date, reason: String = "started by an operator"
    ) -> CanaryState {
        let first = policy.steps.first ?? 100
        var state = CanaryState(
            stable: policy.stable, candidate: policy.candidate, candidateWeight: first,
            stepIndex: 0, phase: .progressing, stepStartedAt: now)
        state.transition(
            to: .progressing, weight: first, at: now,
            reason: "\(reason): \(first)% to \(policy.candidate)")
        return state
    }

    /// Holds the current weight until `resume`.
    public mutating func pause(at now: Date, reason: String = "paused by an operator") throws(CanaryActionError) {
        guard phase == .progressing else { throw CanaryActionError(action: "pause", phase: phase) }
        transition(to: .paused, weight: candidateWeight, at: now, reason: reason)
    }

    /// Continues automatic steps from the current weight, judging a fresh step.
    public mutating func resume(at now: Date, reason: String = "resumed by an operator") throws(CanaryActionError) {
        guard phase == .paused else { throw CanaryActionError(action: "resume", phase: phase) }
        transition(to: .progressing, weight: candidateWeight, at: now, reason: reason)
    }

    /// Ends the rollout now with the candidate as the stable version.
    public mutating func promote(at now: Date, reason: String = "promoted by an operator") throws(CanaryActionError) {
        guard phase.isActive else { throw CanaryActionError(action: "promote", phase: phase) }
        transition(to: .promoted, weight: 100, at: now, reason: reason)
    }

    /// Ends the rollout now with all traffic back on stable.
    public mutating func abort(at now: Date, reason: String = "aborted by an operator") throws(CanaryActionError) {
        guard phase.isActive else { throw CanaryActionError(action: "abort", phase: phase) }
        transition(to: .aborted(reason: reason), weight: 0, at: now, reason: reason)
    }

    /// Sets the candidate's weight by hand and pauses, since an operator took control; `resume`
    /// continues with the first step above this weight.
    public mutating func setWeight(
        _ percent: Int, policy: CanaryPolicy, at now: Date, reason: String = "weight set by an operator"
    ) throws(CanaryActionError) {
        guard phase.isActive else { throw CanaryActionError(action: "set the weight of", phase: phase) }
        guard (0...100).contains(percent) else {
            throw CanaryActionError(message: "weight must be from 0 to 100, got \(percent)")
        }
        let index = policy.steps.lastIndex { $0 <= percent } ?? 0
        transition(to: .paused, weight: percent, stepIndex: index, at: now, reason: "\(reason): \(percent)%")
    }
}

/// An operator action that does not apply to the rollout's phase; the admin service answers
/// FAILED_PRECONDITION (or INVALID_ARGUMENT for a bad weight).
public struct CanaryActionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    init(action: String, phase: CanaryState.Phase) {
        message = "cannot \(action) a canary that is \(phase.name.replacingOccurrences(of: "_", with: " "))"
    }

    public var description: String { message }
}

import Foundation

/// Where one model's rollout stands; persisted in the state file and shown by the admin service.
///
/// Changed only by `CanaryAnalysis.evaluate` and the manual actions in `CanaryState+Actions.swift`,
/// each of which records a `CanaryTransition` with its reason.
public struct CanaryState: Sendable, Codable, Equatable {
    /// The rollout's stage.
    public enum Phase: Sendable, Codable, Equatable {
        /// Steps advance automatically while the candidate stays within thresholds.
        case progressing
        /// Held at the current weight by an operator.
        case paused
        /// Finished: the candidate is the stable version and takes all traffic.
        case promoted
        /// Stopped by the analysis on a breach: all traffic back on stable.
        case rolledBack(reason: String)
        /// Stopped by an operator: all traffic back on stable.
        case aborted(reason: String)

        /// The spelling used in JSON, metrics and history: `progressing`, `paused`, `promoted`,
        /// `rolled_back`, `aborted`.
        public var name: String {
            switch self {
            case .progressing: "progressing"
            case .paused: "paused"
            case .promoted: "promoted"
            case .rolledBack: "rolled_back"
            case .aborted: "aborted"
            }
        }

        /// Still running (progressing or paused), as opposed to finished.
        public var isActive: Bool {
            self == .progressing || self == .paused
        }

        private enum CodingKeys: String, CodingKey { case name, reason }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let name = try container.decode(String.self, forKey: .name)
            switch name {
            case "progressing": self = .progressing
            case "paused": self = .paused
            case "promoted": self = .promoted
            case "rolled_back": self = .rolledBack(reason: try container.decode(String.self, forKey: .reason))
            case "aborted": self = .aborted(reason: try container.decode(String.self, forKey: .reason))
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .name, in: container,
                    debugDescription: "unknown canary phase \"\(name)\"")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            switch self {
            case .rolledBack(let reason), .aborted(let reason): try container.encode(reason, forKey: .reason)
            case .progressing, .paused, .promoted: break
            }
        }
    }

    /// The stable version's numbers from the last step it had enough calls in; the yardstick for
    /// steps that leave it too few (at 100% it gets none).
    public struct Baseline: Sendable, Codable, Equatable {
        public var calls: Int
        public var errorRate: Double
        public var p99Microseconds: Int64

        public init(calls: Int, errorRate: Double, p99Microseconds: Int64) {
            self.calls = calls
            self.errorRate = errorRate
            self.p99Microseconds = p99Microseconds
        }

        private enum CodingKeys: String, CodingKey {
            case calls, errorRate = "error_rate", p99Microseconds = "p99_us"
        }
    }

    public var stable: String
    public var candidate: String
    /// Percent of traffic (0…100) on the candidate while active.
    public var candidateWeight: Int
    /// Index in the policy's steps of the step being served.
    public var stepIndex: Int
    public var phase: Phase
    /// When the current step (or the final phase) began; wall-clock time so it survives restarts.
    public var stepStartedAt: Date
    public var stableBaseline: Baseline?
    /// The latest transitions, oldest first, at most `historyLimit`.
    public var history: [CanaryTransition]

    /// How many transitions are kept.
    public static let historyLimit = 20

    public init(
        stable: String, candidate: String, candidateWeight: Int, stepIndex: Int, phase: Phase,
        stepStartedAt: Date, stableBaseline: Baseline? = nil, history: [CanaryTransition] = []
    ) {
        self.stable = stable
        self.candidate = candidate
        self.candidateWeight = candidateWeight
        self.stepIndex = stepIndex
        self.phase = phase
        self.stepStartedAt = stepStartedAt
        self.stableBaseline = stableBaseline
        self.history = history
    }

    /// The weights to build a `TrafficSplit` from: both versions, the candidate at its weight while
    /// active, at 100 once promoted and at 0 after a rollback or abort.
    public var weights: [String: Double] {
        let candidateShare: Int
        switch phase {
        case .progressing, .paused: candidateShare = candidateWeight
        case .promoted: candidateShare = 100
        case .rolledBack, .aborted: candidateShare = 0
        }
        return [stable: Double(100 - candidateShare), candidate: Double(candidateShare)]
    }

    /// Whether this state belongs to `policy` (same stable and candidate); a changed policy starts over.
    public func matches(_ policy: CanaryPolicy) -> Bool {
        stable == policy.stable && candidate == policy.candidate
    }

    /// Moves to `phase` at `weight`, starting a new step clock and noting why.
    mutating func transition(to phase: Phase, weight: Int, stepIndex: Int? = nil, at now: Date, reason: String) {
        self.phase = phase
        candidateWeight = weight
        if let stepIndex { self.stepIndex = stepIndex }
        stepStartedAt = now
        history.append(CanaryTransition(at: now, phase: phase.name, candidateWeight: weight, reason: reason))
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
    }

    private enum CodingKeys: String, CodingKey {
        case stable, candidate, candidateWeight = "candidate_weight", stepIndex = "step_index", phase
        case stepStartedAt = "step_started_at", stableBaseline = "stable_baseline", history
    }
}

/// One change of a rollout, kept in the state's history.
public struct CanaryTransition: Sendable, Codable, Equatable {
    public var at: Date
    /// The phase entered (`CanaryState.Phase.name`).
    public var phase: String
    public var candidateWeight: Int
    /// Why, in words for an operator.
    public var reason: String

    public init(at: Date, phase: String, candidateWeight: Int, reason: String) {
        self.at = at
        self.phase = phase
        self.candidateWeight = candidateWeight
        self.reason = reason
    }

    private enum CodingKeys: String, CodingKey {
        case at, phase, candidateWeight = "candidate_weight", reason
    }
}

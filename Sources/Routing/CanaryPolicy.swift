/// An automated rollout from `stable` to `candidate`: what `models.<name>.canary` holds.
///
/// ```yaml
/// canary:
///   stable: "1"
///   candidate: "2"
///   steps: [5, 25, 50, 100]          # percent to the candidate; increasing, ending at 100
///   interval: 30s                    # least time per step (default 60s)
///   min_calls: 100                   # candidate calls per step before judging (default 100)
///   max_error_rate: 0.01             # candidate error rate minus stable's (default 0.01)
///   max_p99_ratio: 1.5               # candidate p99 / stable p99 (default 1.5)
///   max_error_rate_absolute: 0.05    # optional cap on the candidate's own error rate
///   max_p99_ms: 250                  # optional cap on the candidate's own p99, milliseconds
///   fallback: true                   # retry a failed candidate call on stable (default false)
/// ```
public struct CanaryPolicy: Sendable, Hashable {
    public var stable: String
    public var candidate: String
    /// Candidate percentages, one per step.
    public var steps: [Int]
    /// The least time a step lasts before it may advance.
    public var interval: Duration
    /// Candidate calls a step needs before it is judged.
    public var minCalls: Int
    /// Largest allowed candidate error rate minus stable error rate (0…1).
    public var maxErrorRate: Double
    /// Largest allowed candidate p99 / stable p99.
    public var maxP99Ratio: Double
    /// Largest allowed candidate error rate on its own, whatever stable does (`max_error_rate_absolute`).
    public var maxErrorRateAbsolute: Double?
    /// Largest allowed candidate p99 on its own (`max_p99_ms`).
    public var maxP99: Duration?
    /// Whether a failed candidate call is retried on the stable version.
    public var fallback: Bool

    public static let defaultInterval: Duration = .seconds(60)
    public static let defaultMinCalls = 100
    public static let defaultMaxErrorRate = 0.01
    public static let defaultMaxP99Ratio = 1.5

    public init(
        stable: String, candidate: String, steps: [Int], interval: Duration = defaultInterval,
        minCalls: Int = defaultMinCalls, maxErrorRate: Double = defaultMaxErrorRate,
        maxP99Ratio: Double = defaultMaxP99Ratio, maxErrorRateAbsolute: Double? = nil, maxP99: Duration? = nil,
        fallback: Bool = false
    ) {
        self.stable = stable
        self.candidate = candidate
        self.steps = steps
        self.interval = interval
        self.minCalls = minCalls
        self.maxErrorRate = maxErrorRate
        self.maxP99Ratio = maxP99Ratio
        self.maxErrorRateAbsolute = maxErrorRateAbsolute
        self.maxP99 = maxP99
        self.fallback = fallback
    }
}

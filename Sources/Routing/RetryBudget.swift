import Synchronization

/// Limits retries so that a failing backend is not buried under them: over a sliding window,
/// retries may reach `ratio` of the calls made, and at least `minRetriesPerSecond` are allowed
/// in any second so that a quiet service can still retry.
public final class RetryBudget: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Retries allowed per call in the window (0.2: one retry per five calls).
        public var ratio: Double
        /// Retries allowed in any one second whatever the ratio says.
        public var minRetriesPerSecond: Int
        /// How far back calls and retries count, in whole seconds.
        public var window: Duration

        public init(ratio: Double = 0.2, minRetriesPerSecond: Int = 10, window: Duration = .seconds(10)) {
            self.ratio = ratio
            self.minRetriesPerSecond = minRetriesPerSecond
            self.window = window
        }

        public static let defaults = Configuration()
    }

    private struct Bucket {
        var second: Int64 = .min
        var calls = 0
        var retries = 0
    }

    public let configuration: Configuration
    private let clock: any RoutingClock
    private let origin: ContinuousClock.Instant
    private let buckets: Mutex<[Bucket]>

    public init(configuration: Configuration = .defaults, clock: any RoutingClock = SystemRoutingClock()) {
        self.configuration = configuration
        self.clock = clock
        origin = clock.now()
        let seconds = max(1, Int(configuration.window.components.seconds))
        buckets = Mutex(Array(repeating: Bucket(), count: seconds))
    }

    /// Counts an original call (not a retry); each one earns `ratio` of a retry.
    public func recordCall() {
        let second = currentSecond()
        buckets.withLock { buckets in
            Self.bucket(&buckets, second) { $0.calls += 1 }
        }
    }

    /// Takes one retry from the budget; false when there is none left and the call must fail.
    public func tryRetry() -> Bool {
        let second = currentSecond()
        return buckets.withLock { buckets in
            let live = buckets.filter { $0.second > second - Int64(buckets.count) }
            let calls = live.reduce(0) { $0 + $1.calls }
            let retries = live.reduce(0) { $0 + $1.retries }
            let thisSecond = live.first { $0.second == second }?.retries ?? 0
            let allowed =
                Double(retries + 1) <= configuration.ratio * Double(calls)
                || thisSecond < configuration.minRetriesPerSecond
            if allowed { Self.bucket(&buckets, second) { $0.retries += 1 } }
            return allowed
        }
    }

    private func currentSecond() -> Int64 {
        origin.duration(to: clock.now()).components.seconds
    }

    /// Applies `change` to the bucket of `second`, clearing it first if it held an older second.
    private static func bucket(_ buckets: inout [Bucket], _ second: Int64, _ change: (inout Bucket) -> Void) {
        let index = Int(second % Int64(buckets.count))
        if buckets[index].second != second { buckets[index] = Bucket(second: second) }
        change(&buckets[index])
    }
}

import Synchronization

/// Autoscaling hints for one model version, the Knative KPA way.
///
/// In-flight calls are integrated over time into 1-second buckets. The average concurrency over
/// the stable window (60 s) and the panic window (6 s) gives desired replicas
/// `ceil(average / targetConcurrency)`, bounded by min/max replicas. Panic mode starts when the
/// panic window's desired replicas reach `panicThreshold` × the ready replicas; while panicking
/// the hint only grows (never below the ready replicas when the panic began), and panic ends once
/// a stable window passes without the condition. Windows never reach back before the autoscaler
/// was created, so a young autoscaler is not diluted by time it did not see.
public final class ConcurrencyAutoscaler: Sendable {
    /// What to tell the cluster.
    public struct Hint: Sendable, Hashable {
        /// Average concurrency over the stable window.
        public var stableConcurrency: Double
        /// Average concurrency over the panic window.
        public var panicConcurrency: Double
        /// Replicas wanted, within min/max replicas.
        public var desiredReplicas: Int
        public var inPanic: Bool

        public init(stableConcurrency: Double, panicConcurrency: Double, desiredReplicas: Int, inPanic: Bool) {
            self.stableConcurrency = stableConcurrency
            self.panicConcurrency = panicConcurrency
            self.desiredReplicas = desiredReplicas
            self.inPanic = inPanic
        }
    }

    private struct State {
        var policy: AutoscalingPolicy
        /// Concurrency-seconds per bucket, by the bucket's second since `origin`.
        var buckets: [Int64: Double] = [:]
        var level = 0.0
        var lastChange = 0.0
        var panic = PanicMode()
    }

    /// Panic when the panic window wants this many times the ready replicas (Knative's 200%).
    public let panicThreshold: Double
    private let clock: any RoutingClock
    private let origin: ContinuousClock.Instant
    private let state: Mutex<State>

    public init(policy: AutoscalingPolicy, panicThreshold: Double = 2, clock: any RoutingClock = SystemRoutingClock()) {
        self.panicThreshold = panicThreshold
        self.clock = clock
        origin = clock.now()
        state = Mutex(State(policy: policy))
    }

    /// Replaces the targets (routes reloaded); the measurements stay.
    public func update(policy: AutoscalingPolicy) {
        state.withLock { $0.policy = policy }
    }

    /// A call to this version began.
    public func callStarted() { change { $0 + 1 } }

    /// A call to this version ended.
    public func callEnded() { change { max(0, $0 - 1) } }

    /// Records an observed concurrency (a sample), which holds until the next change.
    public func record(concurrency: Double) { change { _ in max(0, concurrency) } }

    /// The current hint given how many replicas are ready now. Call on a regular tick (every
    /// second or two): panic mode advances with each call.
    public func hint(readyReplicas: Int) -> Hint {
        let now = seconds()
        return state.withLock { state in
            Self.accrue(&state, to: now)
            let stable = Self.average(state, over: state.policy.stableWindow.secondsValue, now: now)
            let panic = Self.average(state, over: state.policy.panicWindow.secondsValue, now: now)
            return state.panic.hint(
                stableConcurrency: stable, panicConcurrency: panic, readyReplicas: readyReplicas, policy: state.policy,
                panicThreshold: panicThreshold, now: now)
        }
    }

    /// The average concurrency over the stable and the panic window, without advancing panic
    /// mode: what a gateway publishes so that the leader can add up every gateway's share.
    public func averages() -> (stable: Double, panic: Double) {
        let now = seconds()
        return state.withLock { state in
            Self.accrue(&state, to: now)
            return (
                Self.average(state, over: state.policy.stableWindow.secondsValue, now: now),
                Self.average(state, over: state.policy.panicWindow.secondsValue, now: now)
            )
        }
    }

    private func change(_ newLevel: (Double) -> Double) {
        let now = seconds()
        state.withLock { state in
            Self.accrue(&state, to: now)
            state.level = newLevel(state.level)
        }
    }

    private func seconds() -> Double {
        origin.duration(to: clock.now()).secondsValue
    }

    /// Adds the current level × time since the last change to the buckets it spans.
    private static func accrue(_ state: inout State, to now: Double) {
        let keep = state.policy.stableWindow.secondsValue + 1
        var time = max(state.lastChange, now - keep)
        while time < now {
            let second = time.rounded(.down)
            let end = min(now, second + 1)
            if state.level > 0 { state.buckets[Int64(second), default: 0] += state.level * (end - time) }
            time = end
        }
        state.lastChange = now
        if state.buckets.count > Int(keep) + 1 {
            let oldest = Int64((now - keep).rounded(.down))
            state.buckets = state.buckets.filter { $0.key >= oldest }
        }
    }

    /// Average level over the last `window` seconds (less at start-up). Only the oldest bucket is
    /// cut, assuming its time was spread evenly.
    private static func average(_ state: State, over window: Double, now: Double) -> Double {
        let start = max(0, now - window)
        let span = now - start
        guard span > 0 else { return state.level }
        let first = start.rounded(.down)
        var total = -(state.buckets[Int64(first)] ?? 0) * (start - first)
        for second in Int64(first)...Int64(now.rounded(.down)) { total += state.buckets[second] ?? 0 }
        return max(0, total / span)
    }
}

/// Knative's panic mode over windowed concurrency averages: desired replicas
/// `ceil(average / targetConcurrency)` within min/max; panic starts when the panic window wants
/// `panicThreshold` × the ready replicas, the hint then only grows (never below the replicas ready
/// when it began), and it ends once a stable window passes without the condition.
///
/// A value, so the same rule serves one gateway's own averages and the sum of every gateway's.
public struct PanicMode: Sendable {
    /// When the panic condition last held; nil when not panicking.
    private var since: Double?
    private var floor = 0

    public init() {}

    /// The hint for these averages; `now` is in seconds on any monotonic scale.
    public mutating func hint(
        stableConcurrency stable: Double, panicConcurrency panic: Double, readyReplicas: Int,
        policy: AutoscalingPolicy, panicThreshold: Double, now: Double
    ) -> ConcurrencyAutoscaler.Hint {
        let stableDesired = Int((stable / policy.targetConcurrency).rounded(.up))
        let panicDesired = Int((panic / policy.targetConcurrency).rounded(.up))
        let ready = max(1, readyReplicas)
        if Double(panicDesired) / Double(ready) >= panicThreshold {
            if since == nil { floor = readyReplicas }
            since = now
        } else if let since, now - since >= policy.stableWindow.secondsValue {
            self.since = nil
            floor = 0
        }
        var desired = stableDesired
        if since != nil {
            desired = max(desired, panicDesired, floor)
            floor = desired
        }
        desired = min(max(desired, policy.minReplicas), policy.maxReplicas)
        return .init(
            stableConcurrency: stable, panicConcurrency: panic, desiredReplicas: desired, inPanic: since != nil)
    }
}

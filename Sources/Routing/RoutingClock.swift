import Synchronization

/// Monotonic time for the timers in this module (ejection, retry budget, autoscaling windows);
/// tests inject `ManualRoutingClock` instead of sleeping.
public protocol RoutingClock: Sendable {
    /// The current instant.
    func now() -> ContinuousClock.Instant
}

/// The real monotonic clock.
public struct SystemRoutingClock: RoutingClock {
    public init() {}

    public func now() -> ContinuousClock.Instant { .now }
}

/// A clock that moves only when told to, for tests.
public final class ManualRoutingClock: RoutingClock {
    private let current: Mutex<ContinuousClock.Instant>

    /// Starts at the real current instant; only differences between instants matter.
    public init() {
        current = Mutex(.now)
    }

    public func now() -> ContinuousClock.Instant { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }
}

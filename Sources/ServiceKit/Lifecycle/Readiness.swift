import Synchronization

/// Whether a process should get traffic, and if not, why (the reason goes into `/readyz`).
public enum ReadinessState: Sendable, Hashable {
    case ready
    case notReady(String)

    /// Whether this is `.ready`.
    public var isReady: Bool { self == .ready }
}

/// Decides `/readyz` (and, through the executable, grpc.health): the service's own check until
/// shutdown begins, then not ready for good.
public final class Readiness: Sendable {
    private let check: Mutex<@Sendable () -> ReadinessState>
    private let draining = Atomic<Bool>(false)

    /// `check` runs on every probe, so it must be cheap (read a flag or a snapshot).
    public init(check: @escaping @Sendable () -> ReadinessState = { .ready }) {
        self.check = Mutex(check)
    }

    /// Replaces the check, for services that can only say how once they are built.
    public func setCheck(_ check: @escaping @Sendable () -> ReadinessState) {
        self.check.withLock { $0 = check }
    }

    /// From now on the process is not ready: shutdown has begun.
    public func beginDraining() { draining.store(true, ordering: .sequentiallyConsistent) }

    /// Whether shutdown has begun.
    public var isDraining: Bool { draining.load(ordering: .sequentiallyConsistent) }

    /// The current answer.
    public var state: ReadinessState {
        if isDraining { return .notReady("shutting down") }
        return check.withLock { $0 }()
    }
}

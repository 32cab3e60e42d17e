import Synchronization

/// Picks the replica for each call among a version's endpoints, thread-safely.
///
/// Power of two choices: of two random usable endpoints, the one with fewer outstanding calls.
/// Usable means ready (per health checks) and not ejected. Passive outlier ejection takes an
/// endpoint out after `consecutiveFailuresToEject` failed calls in a row, for a time that doubles
/// with each ejection up to `maxEjectionTime`, after which it is re-admitted.
public final class EndpointBalancer<Endpoint: Hashable & Sendable>: Sendable {
    public typealias Configuration = EndpointBalancerConfiguration

    /// How a finished call counts for ejection.
    public enum Outcome: Sendable, Hashable {
        case success
        /// The endpoint failed (unreachable, UNAVAILABLE, internal error, …).
        case failure
        /// Says nothing about the endpoint (a caller error, a cancelled call).
        case ignored
    }

    /// One endpoint's standing, for the admin service and metrics.
    public struct Status: Sendable, Hashable {
        public var endpoint: Endpoint
        public var ready: Bool
        /// Time left in the current ejection; nil when not ejected.
        public var ejectedFor: Duration?
        public var outstanding: Int
        public var consecutiveFailures: Int
        /// Ejections since the endpoint last stayed in for `maxEjectionTime`.
        public var ejectionLevel: Int
    }

    @usableFromInline
    struct Entry {
        @usableFromInline var ready: Bool
        @usableFromInline var outstanding = 0
        @usableFromInline var consecutiveFailures = 0
        @usableFromInline var ejectedUntil: ContinuousClock.Instant?
        var ejectionLevel = 0
        @usableFromInline var readmittedAt: ContinuousClock.Instant?

        init(ready: Bool) { self.ready = ready }
    }

    /// The endpoints in the order given, each with its standing at the same position; the
    /// per-call paths walk positions and hash an endpoint only to find it in `end`.
    @usableFromInline
    struct State {
        @usableFromInline var order: [Endpoint] = []
        @usableFromInline var entries: [Entry] = []
        @usableFromInline var positions: [Endpoint: Int] = [:]

        init() {}
    }

    public let configuration: Configuration
    @usableFromInline let clock: any RoutingClock
    private let initiallyReady: Bool
    @usableFromInline let state = Mutex(State())

    /// New endpoints count as ready until a health check says otherwise, unless `initiallyReady` is false.
    public init(
        endpoints: [Endpoint] = [], configuration: Configuration = .defaults, initiallyReady: Bool = true,
        clock: any RoutingClock = SystemRoutingClock()
    ) {
        self.configuration = configuration
        self.clock = clock
        self.initiallyReady = initiallyReady
        setEndpoints(endpoints)
    }

    /// Replaces the set (after DNS re-resolution, say); endpoints still present keep their state.
    public func setEndpoints(_ endpoints: [Endpoint]) {
        state.withLock { state in
            var next = State()
            for endpoint in endpoints where next.positions[endpoint] == nil {
                next.positions[endpoint] = next.order.count
                next.order.append(endpoint)
                next.entries.append(state.positions[endpoint].map { state.entries[$0] } ?? Entry(ready: initiallyReady))
            }
            state = next
        }
    }

    /// Records a health check's verdict.
    public func setReady(_ endpoint: Endpoint, _ ready: Bool) {
        state.withLock { state in
            if let position = state.positions[endpoint] { state.entries[position].ready = ready }
        }
    }

    /// Chooses an endpoint for a call and counts it as outstanding until `end`; nil when none is
    /// usable. `excluding` leaves out endpoints already tried by this call.
    ///
    /// Inlinable, as is `end`: both run on every call, and specialized in the caller for its
    /// endpoint type they skip generic dispatch and run-time metadata lookups.
    @inlinable
    public func begin(
        excluding excluded: [Endpoint] = [], random generator: inout some RandomNumberGenerator
    ) -> Endpoint? {
        let now = clock.now()
        // Drawn before taking the lock, which then holds only plain values; with 64 random bits
        // the modulo's bias is negligible for any endpoint count.
        let first = generator.next()
        let second = generator.next()
        return state.withLock { state in
            // Usable positions go in a stack buffer, not a new array.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, state.order.count)) { usable in
                var count = 0
                for position in state.entries.indices {
                    guard state.entries[position].ready else { continue }
                    if !excluded.isEmpty, excluded.contains(state.order[position]) { continue }
                    if let until = state.entries[position].ejectedUntil {
                        guard now >= until else { continue }
                        state.entries[position].ejectedUntil = nil
                        state.entries[position].readmittedAt = now
                        state.entries[position].consecutiveFailures = 0
                    }
                    usable[count] = position
                    count += 1
                }
                guard count > 0 else { return nil }
                var chosen = usable[Int(first % UInt64(count))]
                if count > 1 {
                    var other = usable[Int(second % UInt64(count - 1))]
                    if other == chosen { other = usable[count - 1] }
                    if state.entries[other].outstanding < state.entries[chosen].outstanding { chosen = other }
                }
                state.entries[chosen].outstanding += 1
                return state.order[chosen]
            }
        }
    }

    /// Ends a call started with `begin` and accounts its outcome.
    @inlinable
    public func end(_ endpoint: Endpoint, outcome: Outcome) {
        let now = clock.now()
        state.withLock { state in
            guard let position = state.positions[endpoint] else { return }  // Removed meanwhile.
            state.entries[position].outstanding = max(0, state.entries[position].outstanding - 1)
            switch outcome {
            case .success: state.entries[position].consecutiveFailures = 0
            case .ignored: break
            case .failure:
                state.entries[position].consecutiveFailures += 1
                let entry = state.entries[position]
                if entry.ejectedUntil == nil, entry.consecutiveFailures >= configuration.consecutiveFailuresToEject {
                    eject(&state.entries[position], now: now)
                }
            }
        }
    }

    /// Every endpoint's standing, in the order given.
    public func statuses() -> [Status] {
        let now = clock.now()
        return state.withLock { state in
            zip(state.order, state.entries).map { endpoint, entry in
                var left: Duration?
                if let until = entry.ejectedUntil, now < until { left = now.duration(to: until) }
                return Status(endpoint: endpoint, ready: entry.ready, ejectedFor: left,
                    outstanding: entry.outstanding, consecutiveFailures: entry.consecutiveFailures,
                    ejectionLevel: entry.ejectionLevel)
            }
        }
    }

    @usableFromInline
    func eject(_ entry: inout Entry, now: ContinuousClock.Instant) {
        if let readmitted = entry.readmittedAt, readmitted.duration(to: now) >= configuration.maxEjectionTime {
            entry.ejectionLevel = 0
        }
        var length = configuration.baseEjectionTime
        for _ in 0..<entry.ejectionLevel where length < configuration.maxEjectionTime { length *= 2 }
        entry.ejectedUntil = now.advanced(by: min(length, configuration.maxEjectionTime))
        entry.ejectionLevel += 1
    }
}

/// Ejection settings of an `EndpointBalancer`.
public struct EndpointBalancerConfiguration: Sendable, Hashable {
    public var consecutiveFailuresToEject: Int
    /// The first ejection's length; each further one doubles it.
    public var baseEjectionTime: Duration
    /// The longest ejection; an endpoint that stays in this long starts again from the base time.
    public var maxEjectionTime: Duration

    public init(
        consecutiveFailuresToEject: Int = 5, baseEjectionTime: Duration = .seconds(30),
        maxEjectionTime: Duration = .seconds(300)
    ) {
        self.consecutiveFailuresToEject = consecutiveFailuresToEject
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionTime = maxEjectionTime
    }

    public static let defaults = EndpointBalancerConfiguration()
}

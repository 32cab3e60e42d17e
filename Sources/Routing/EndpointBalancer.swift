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

    private struct Entry {
        var ready: Bool
        var outstanding = 0
        var consecutiveFailures = 0
        var ejectedUntil: ContinuousClock.Instant?
        var ejectionLevel = 0
        var readmittedAt: ContinuousClock.Instant?
    }

    private struct State {
        var order: [Endpoint] = []
        var entries: [Endpoint: Entry] = [:]
    }

    public let configuration: Configuration
    private let clock: any RoutingClock
    private let initiallyReady: Bool
    private let state = Mutex(State())

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
            var seen = Set<Endpoint>()
            state.order = endpoints.filter { seen.insert($0).inserted }
            var entries: [Endpoint: Entry] = [:]
            for endpoint in state.order {
                entries[endpoint] = state.entries[endpoint] ?? Entry(ready: initiallyReady)
            }
            state.entries = entries
        }
    }

    /// Records a health check's verdict.
    public func setReady(_ endpoint: Endpoint, _ ready: Bool) {
        state.withLock { $0.entries[endpoint]?.ready = ready }
    }

    /// Chooses an endpoint for a call and counts it as outstanding until `end`; nil when none is
    /// usable. `excluding` leaves out endpoints already tried by this call.
    public func begin(
        excluding excluded: Set<Endpoint> = [], random generator: inout some RandomNumberGenerator
    ) -> Endpoint? {
        let now = clock.now()
        return state.withLock { state in
            // Runs on every call: usable positions go in a stack buffer, not a new array.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, state.order.count)) { usable in
                var count = 0
                for (position, endpoint) in state.order.enumerated() where excluded.isEmpty || !excluded.contains(endpoint) {
                    guard var entry = state.entries[endpoint], entry.ready else { continue }
                    if let until = entry.ejectedUntil {
                        guard now >= until else { continue }
                        entry.ejectedUntil = nil
                        entry.readmittedAt = now
                        entry.consecutiveFailures = 0
                        state.entries[endpoint] = entry
                    }
                    usable[count] = position
                    count += 1
                }
                guard count > 0 else { return nil }
                var chosen = state.order[usable[Int.random(in: 0..<count, using: &generator)]]
                if count > 1 {
                    var other = Int.random(in: 0..<(count - 1), using: &generator)
                    if state.order[usable[other]] == chosen { other = count - 1 }
                    let alternative = state.order[usable[other]]
                    if state.entries[alternative]!.outstanding < state.entries[chosen]!.outstanding {
                        chosen = alternative
                    }
                }
                state.entries[chosen]!.outstanding += 1
                return chosen
            }
        }
    }

    /// Ends a call started with `begin` and accounts its outcome.
    public func end(_ endpoint: Endpoint, outcome: Outcome) {
        let now = clock.now()
        state.withLock { state in
            guard var entry = state.entries[endpoint] else { return }  // Removed meanwhile.
            entry.outstanding = max(0, entry.outstanding - 1)
            switch outcome {
            case .success: entry.consecutiveFailures = 0
            case .ignored: break
            case .failure:
                entry.consecutiveFailures += 1
                if entry.ejectedUntil == nil, entry.consecutiveFailures >= configuration.consecutiveFailuresToEject {
                    eject(&entry, now: now)
                }
            }
            state.entries[endpoint] = entry
        }
    }

    /// Every endpoint's standing, in the order given.
    public func statuses() -> [Status] {
        let now = clock.now()
        return state.withLock { state in
            state.order.compactMap { endpoint in
                state.entries[endpoint].map { entry in
                    var left: Duration?
                    if let until = entry.ejectedUntil, now < until { left = now.duration(to: until) }
                    return Status(endpoint: endpoint, ready: entry.ready, ejectedFor: left,
                        outstanding: entry.outstanding, consecutiveFailures: entry.consecutiveFailures,
                        ejectionLevel: entry.ejectionLevel)
                }
            }
        }
    }

    private func eject(_ entry: inout Entry, now: ContinuousClock.Instant) {
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

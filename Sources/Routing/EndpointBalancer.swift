import Synchronization

/// Picks the replica for each call among a version's endpoints, thread-safely.
///
/// Power of two choices: of two random usable endpoints, the one with fewer outstanding calls.
/// Usable means ready (per health checks) and not ejected.
///
/// - Passive outlier ejection takes an endpoint out after `consecutiveFailuresToEject` failed
///   calls in a row, for a time that doubles with each ejection up to `maxEjectionTime`; never
///   more than `maxEjectionPercent` of the endpoints at once, and never the last one.
/// - A call the endpoint could not take (no connection, draining) is `.unreachable`: it takes the
///   endpoint out until a health check sees it serve, and never counts towards ejection, so a
///   graceful restart is not mistaken for a fault.
/// - Panic routing (Envoy's panic threshold): when no endpoint is usable, calls go to ready but
///   ejected endpoints, and failing that to any endpoint, rather than failing for want of one.
public final class EndpointBalancer<Endpoint: Hashable & Sendable>: Sendable {
    public typealias Configuration = EndpointBalancerConfiguration

    /// How a finished call counts for ejection.
    public enum Outcome: Sendable, Hashable {
        case success
        /// The endpoint failed (UNAVAILABLE, internal error, deadline, …).
        case failure
        /// Says nothing about the endpoint (a caller error, a cancelled call).
        case ignored
        /// The endpoint could not take the call: no connection, or its connection is draining.
        case unreachable
    }

    /// The endpoint chosen for a call.
    public struct Pick: Sendable, Hashable {
        public var endpoint: Endpoint
        /// No usable endpoint was left, so an ejected or not-ready one was chosen.
        public var panic: Bool

        @inlinable
        init(endpoint: Endpoint, panic: Bool) {
            self.endpoint = endpoint
            self.panic = panic
        }
    }

    /// A change of an endpoint's standing (or of the set's panic mode), for logs and metrics.
    public struct Transition: Sendable, Hashable {
        public enum Kind: String, Sendable {
            /// Taken out after consecutive failures.
            case ejected
            /// Would have been ejected, but the ejection cap keeps it in.
            case ejectionCapped = "ejection_capped"
            /// Its ejection time is over.
            case ejectionEnded = "ejection_ended"
            /// A call found no usable connection to it.
            case unreachable
            /// A health check said it does not serve.
            case notServing = "not_serving"
            /// A health check saw it serve after it did not, or on a new connection: a clean record.
            case serving
            /// No usable endpoint: calls go to ejected or not-ready ones.
            case panicStarted = "panic_started"
            case panicEnded = "panic_ended"
        }

        /// Nil for the set's panic transitions.
        public var endpoint: Endpoint?
        public var kind: Kind
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
        /// No endpoint of the set is usable, so calls are panic-routed.
        public var panic: Bool
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

        @inlinable
        func isEjected(at now: ContinuousClock.Instant) -> Bool {
            if let until = ejectedUntil { return now < until }
            return false
        }
    }

    /// The endpoints in the order given, each with its standing at the same position; the
    /// per-call paths walk positions and hash an endpoint only to find it in `end`.
    @usableFromInline
    struct State {
        @usableFromInline var order: [Endpoint] = []
        @usableFromInline var entries: [Entry] = []
        @usableFromInline var positions: [Endpoint: Int] = [:]
        @usableFromInline var inPanic = false
        /// Not yet collected by `takeTransitions`; bounded, the oldest dropped first.
        @usableFromInline var transitions: [Transition] = []

        init() {}

        @usableFromInline
        mutating func record(_ kind: Transition.Kind, _ endpoint: Endpoint?) {
            if transitions.count >= 256 { transitions.removeFirst() }
            transitions.append(Transition(endpoint: endpoint, kind: kind))
        }
    }

    /// How far a pick may reach, from the normal case down to panic's last resort.
    @usableFromInline
    enum Reach: CaseIterable {
        case usable
        case readyEvenIfEjected
        case any
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
            next.inPanic = state.inPanic
            next.transitions = state.transitions
            for endpoint in endpoints where next.positions[endpoint] == nil {
                next.positions[endpoint] = next.order.count
                next.order.append(endpoint)
                next.entries.append(state.positions[endpoint].map { state.entries[$0] } ?? Entry(ready: initiallyReady))
            }
            state = next
        }
    }

    /// Records a health check's verdict. An endpoint seen serving after it did not, or on a new
    /// connection (`reconnected`: a restarted process, a new pod), starts with a clean record: an
    /// ejection or failures earned before it went away say nothing about the new process.
    public func setReady(_ endpoint: Endpoint, _ ready: Bool, reconnected: Bool = false) {
        state.withLock { state in
            guard let position = state.positions[endpoint] else { return }
            let entry = state.entries[position]
            if ready {
                guard !entry.ready || (reconnected && (entry.ejectedUntil != nil || entry.consecutiveFailures > 0)) else {
                    return
                }
                var clean = Entry(ready: true)
                clean.outstanding = entry.outstanding
                state.entries[position] = clean
                state.record(.serving, endpoint)
            } else if entry.ready {
                state.entries[position].ready = false
                state.record(.notServing, endpoint)
            }
        }
    }

    /// Chooses an endpoint for a call and counts it as outstanding until `end`; nil only when
    /// every endpoint is in `excluding` (those already tried by this call) or there are none.
    ///
    /// Inlinable, as is `end`: both run on every call, and specialized in the caller for its
    /// endpoint type they skip generic dispatch and run-time metadata lookups.
    @inlinable
    public func begin(
        excluding excluded: [Endpoint] = [], random generator: inout some RandomNumberGenerator
    ) -> Pick? {
        let now = clock.now()
        // Drawn before taking the lock, which then holds only plain values; with 64 random bits
        // the modulo's bias is negligible for any endpoint count.
        let first = generator.next()
        let second = generator.next()
        return state.withLock { state in
            // Candidate positions go in a stack buffer, not a new array.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, state.order.count)) { candidates in
                for reach in Reach.allCases {
                    var count = 0
                    for position in state.entries.indices {
                        if !excluded.isEmpty, excluded.contains(state.order[position]) { continue }
                        guard Self.admits(&state, position, reach: reach, now: now) else { continue }
                        candidates[count] = position
                        count += 1
                    }
                    guard count > 0 else { continue }
                    var chosen = candidates[Int(first % UInt64(count))]
                    if count > 1 {
                        var other = candidates[Int(second % UInt64(count - 1))]
                        if other == chosen { other = candidates[count - 1] }
                        if state.entries[other].outstanding < state.entries[chosen].outstanding { chosen = other }
                    }
                    state.entries[chosen].outstanding += 1
                    let panic = reach != .usable
                    // The set's mode changes only on a call that could try every endpoint; a
                    // retry that left out the usable ones is panic-routed but says nothing of the set.
                    if excluded.isEmpty, panic != state.inPanic {
                        state.inPanic = panic
                        state.record(panic ? .panicStarted : .panicEnded, nil)
                    }
                    return Pick(endpoint: state.order[chosen], panic: panic)
                }
                return nil
            }
        }
    }

    /// Whether `reach` lets a pick take the endpoint at `position`; an ejection whose time is
    /// over ends here.
    @inlinable
    static func admits(_ state: inout State, _ position: Int, reach: Reach, now: ContinuousClock.Instant) -> Bool {
        switch reach {
        case .usable:
            guard state.entries[position].ready else { return false }
            if let until = state.entries[position].ejectedUntil {
                guard now >= until else { return false }
                state.entries[position].ejectedUntil = nil
                state.entries[position].readmittedAt = now
                state.entries[position].consecutiveFailures = 0
                state.record(.ejectionEnded, state.order[position])
            }
            return true
        case .readyEvenIfEjected:
            return state.entries[position].ready
        case .any:
            return true
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
            case .unreachable:
                if state.entries[position].ready {
                    state.entries[position].ready = false
                    state.record(.unreachable, endpoint)
                }
            case .failure:
                state.entries[position].consecutiveFailures += 1
                let entry = state.entries[position]
                guard !entry.isEjected(at: now), entry.consecutiveFailures >= configuration.consecutiveFailuresToEject else {
                    return
                }
                if mayEject(state, now: now) {
                    eject(&state.entries[position], now: now)
                    state.record(.ejected, endpoint)
                } else if entry.consecutiveFailures == configuration.consecutiveFailuresToEject {
                    state.record(.ejectionCapped, endpoint)
                }
            }
        }
    }

    /// Transitions since the last call, oldest first.
    public func takeTransitions() -> [Transition] {
        state.withLock { state in
            defer { state.transitions.removeAll(keepingCapacity: true) }
            return state.transitions
        }
    }

    /// Every endpoint's standing, in the order given.
    public func statuses() -> [Status] {
        let now = clock.now()
        return state.withLock { state in
            let panic = !state.entries.isEmpty && !state.entries.contains { $0.ready && !$0.isEjected(at: now) }
            return zip(state.order, state.entries).map { endpoint, entry in
                var left: Duration?
                if let until = entry.ejectedUntil, now < until { left = now.duration(to: until) }
                return Status(
                    endpoint: endpoint, ready: entry.ready, ejectedFor: left,
                    outstanding: entry.outstanding, consecutiveFailures: entry.consecutiveFailures,
                    ejectionLevel: entry.ejectionLevel, panic: panic)
            }
        }
    }

    /// Whether one more endpoint may be ejected: at most `maxEjectionPercent` of them, and
    /// always one left in.
    @usableFromInline
    func mayEject(_ state: State, now: ContinuousClock.Instant) -> Bool {
        let total = state.entries.count
        let ejected = state.entries.count { $0.isEjected(at: now) }
        let allowed = min(total - 1, Int((Double(total) * configuration.maxEjectionPercent / 100).rounded(.down)))
        return ejected < allowed
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
    /// The largest share of a set's endpoints ejected at once, in percent (one always stays in).
    public var maxEjectionPercent: Double

    public init(
        consecutiveFailuresToEject: Int = 5, baseEjectionTime: Duration = .seconds(30),
        maxEjectionTime: Duration = .seconds(300), maxEjectionPercent: Double = 50
    ) {
        self.consecutiveFailuresToEject = consecutiveFailuresToEject
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionTime = maxEjectionTime
        self.maxEjectionPercent = maxEjectionPercent
    }

    public static let defaults = EndpointBalancerConfiguration()
}

import Synchronization

/// The serving status of each service name, set by the process and read by `HealthService`.
///
/// The empty name is the status of the whole server. Watchers receive the current status, then
/// every change, until they stop iterating.
public final class HealthStatusStore: Sendable {
    public typealias Status = HealthCheckResponse.ServingStatus

    private struct State {
        var statuses: [String: Status]
        var watchers: [String: [Int: AsyncStream<Status>.Continuation]] = [:]
        var nextWatcherID = 0
    }

    private let state: Mutex<State>

    /// A store in which the server ("") has status `overall` and no other service is known.
    public init(overall: Status = .serving) {
        state = Mutex(State(statuses: ["": overall]))
    }

    /// Sets the status of `service` ("" for the server) and tells its watchers if it changed.
    public func set(service: String, status: Status) {
        state.withLock { state in
            guard state.statuses.updateValue(status, forKey: service) != status else { return }
            // Yielded under the lock so that watchers see changes in the order they were made;
            // `yield` never calls back into the store.
            for continuation in state.watchers[service, default: [:]].values { continuation.yield(status) }
        }
    }

    /// Forgets `service`; its watchers see SERVICE_UNKNOWN.
    public func remove(service: String) {
        state.withLock { state in
            guard state.statuses.removeValue(forKey: service) != nil else { return }
            for continuation in state.watchers[service, default: [:]].values { continuation.yield(.serviceUnknown) }
        }
    }

    /// Sets every known service to `status`, for example NOT_SERVING while the server drains.
    public func setAll(_ status: Status) {
        state.withLock { state in
            for (service, old) in state.statuses where old != status {
                state.statuses[service] = status
                for continuation in state.watchers[service, default: [:]].values { continuation.yield(status) }
            }
        }
    }

    /// The status of `service`, or nil when it was never set.
    public func status(of service: String) -> Status? {
        state.withLock { $0.statuses[service] }
    }

    /// The current status of `service` (SERVICE_UNKNOWN when unknown) followed by each change.
    ///
    /// The stream never finishes by itself; it unregisters when its consumer is cancelled or the
    /// stream is dropped. A slow consumer only gets the newest status, which is all a health
    /// watcher needs.
    public func updates(for service: String) -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream.makeStream(of: Status.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[service, default: [:]][id] = continuation
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            return id
        }
        continuation.onTermination = { [weak self] _ in self?.removeWatcher(service: service, id: id) }
        return stream
    }

    /// How many watchers are registered, to check that ended calls leave none behind.
    public var watcherCount: Int {
        state.withLock { $0.watchers.values.reduce(0) { $0 + $1.count } }
    }

    private func removeWatcher(service: String, id: Int) {
        state.withLock { state in
            state.watchers[service]?[id] = nil
            if state.watchers[service]?.isEmpty == true { state.watchers[service] = nil }
        }
    }
}

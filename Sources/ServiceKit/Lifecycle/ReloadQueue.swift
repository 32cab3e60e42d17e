import Logging
import Synchronization

/// Runs reloads one at a time off the signal loop: a request while one runs makes exactly one
/// more run afterwards, however many requests arrive meanwhile.
final class ReloadQueue: Sendable {
    private struct State {
        var running: Task<Void, Never>?
        var pending = false
        var stopped = false
    }

    private let reload: @Sendable () async -> Void
    private let logger: Logger
    private let state = Mutex(State())

    init(reload: @escaping @Sendable () async -> Void, logger: Logger) {
        self.reload = reload
        self.logger = logger
    }

    /// Asks for a reload.
    func request() {
        state.withLock { state in
            guard !state.stopped else { return }
            if state.running != nil {
                state.pending = true
                return
            }
            state.running = start()
        }
    }

    /// Lets a running reload finish and starts no more.
    func stop() async {
        let running = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            state.pending = false
            return state.running
        }
        await running?.value
    }

    private func start() -> Task<Void, Never> {
        Task {
            logger.info("reloading (SIGHUP)")
            await reload()
            state.withLock { state in
                if state.pending, !state.stopped {
                    state.pending = false
                    state.running = start()
                } else {
                    state.running = nil
                }
            }
        }
    }
}

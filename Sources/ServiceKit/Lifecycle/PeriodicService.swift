import ServiceLifecycle

/// Runs `body` every `interval` until graceful shutdown; a body already running finishes first.
public struct PeriodicService: Service {
    private let interval: Duration
    private let body: @Sendable () async -> Void

    public init(every interval: Duration, _ body: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.body = body
    }

    public func run() async throws {
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await body()
        }
    }
}

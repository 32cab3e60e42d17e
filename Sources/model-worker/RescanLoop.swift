import Logging
import ModelRepository
import ModelWorker
import ServiceKit
import ServiceLifecycle

/// Rescans the repository every interval (if any) and whenever asked (SIGHUP), one scan at a time: the
/// reconciler's loads can suspend, so two overlapping passes could load the same version twice.
/// Requests that arrive during a scan collapse into one more scan. Runs as a service until
/// graceful shutdown, letting a running scan finish.
struct RescanLoop: Service {
    private let reconciler: ModelReconciler<ServedModel>
    private let interval: Duration?
    private let logger: Logger
    private let after: @Sendable () -> Void
    private let requests = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    /// `after` runs after each scan (to update health).
    init(
        reconciler: ModelReconciler<ServedModel>, every interval: Duration?, logger: Logger,
        after: @escaping @Sendable () -> Void
    ) {
        self.reconciler = reconciler
        self.interval = interval
        self.logger = logger
        self.after = after
    }

    /// Asks for a scan as soon as the current one (if any) ends.
    func rescanNow() { requests.continuation.yield() }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let interval { group.addTask { try await PeriodicService(every: interval) { rescanNow() }.run() } }
            for await _ in requests.stream.cancelOnGracefulShutdown() {
                do {
                    try await reconciler.reconcile()
                } catch {
                    logger.error("cannot scan the model repository", metadata: ["error": "\(error)"])
                }
                after()
            }
            try await group.waitForAll()
        }
    }
}

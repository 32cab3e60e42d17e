import Logging
import ModelRepository
import ModelWorker

/// Rescans the repository every interval and whenever asked (SIGHUP), one scan at a time: the
/// reconciler's loads can suspend, so two overlapping passes could load the same version twice.
/// Requests that arrive during a scan collapse into one more scan.
final class RescanLoop: Sendable {
    private let requests: AsyncStream<Void>.Continuation
    private let scans: Task<Void, Never>
    private let ticker: Task<Void, Never>

    /// Starts scanning; `after` runs after each scan (to update health).
    init(
        reconciler: ModelReconciler<ServedModel>, every interval: Duration, logger: Logger,
        after: @escaping @Sendable () -> Void
    ) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        requests = continuation
        scans = Task {
            for await _ in stream {
                do {
                    try await reconciler.reconcile()
                } catch {
                    logger.error("cannot scan the model repository", metadata: ["error": "\(error)"])
                }
                after()
            }
        }
        ticker = Task {
            while true {
                do { try await Task.sleep(for: interval) } catch { return }
                continuation.yield()
            }
        }
    }

    /// Asks for a scan as soon as the current one (if any) ends.
    func rescanNow() { requests.yield() }

    /// Stops the timer, lets a running scan finish, and starts no more.
    func stop() async {
        ticker.cancel()
        requests.finish()
        await scans.value
    }
}

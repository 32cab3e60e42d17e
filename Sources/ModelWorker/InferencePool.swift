import Foundation
import Synchronization

/// A fixed set of threads that run model work, so inference never occupies an event loop or
/// the cooperative thread pool: a slow model delays other model work, never the network.
///
/// Work measured to take less than `inlineLimit` runs on the caller's thread instead: for a
/// model that answers in a few microseconds, the two thread switches of a hop cost more than
/// the model itself, and holding the event loop that long delays nothing noticeably.
public final class InferencePool: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
    }

    /// The number of threads.
    public let threadCount: Int
    /// Work expected to take at most this long runs on the calling thread; zero turns that off.
    public let inlineLimit: Duration
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)

    /// Starts `threads` threads; they live as long as the process.
    public init(threads: Int, name: String = "inference", inlineLimit: Duration = InferencePool.defaultInlineLimit) {
        threadCount = max(1, threads)
        self.inlineLimit = inlineLimit
        for index in 0..<threadCount {
            // The threads keep the pool alive: it is meant to live as long as the process.
            let thread = Thread { [self] in
                while true {
                    available.wait()
                    let job = state.withLock { state -> (@Sendable () -> Void)? in
                        guard state.head < state.jobs.count else { return nil }
                        let job = state.jobs[state.head]
                        state.head += 1
                        // Compact now and then instead of removing from the front each time.
                        if state.head > 64 && state.head * 2 > state.jobs.count {
                            state.jobs.removeFirst(state.head)
                            state.head = 0
                        }
                        return job
                    }
                    job?()
                }
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// The default for `inlineLimit`.
    public static let defaultInlineLimit = Duration.microseconds(50)

    /// A pool shared by everything in the process that does not bring its own (tests, mostly).
    public static let shared = InferencePool(threads: ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `work` on one of the pool's threads and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    private func enqueue(_ job: @escaping @Sendable () -> Void) {
        state.withLock { $0.jobs.append(job) }
        available.signal()
    }
}

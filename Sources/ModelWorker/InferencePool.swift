import Foundation
import NIOPosix

/// A fixed set of threads that run model work, so inference never occupies an event loop or
/// the cooperative thread pool: a slow model delays other model work, never the network. The
/// threads are SwiftNIO's `NIOThreadPool`; work whose caller was cancelled before a thread
/// took it up is skipped.
///
/// Work measured to take less than `inlineLimit` runs on the caller's thread instead: for a
/// model that answers in a few microseconds, the two thread switches of a hop cost more than
/// the model itself, and holding the event loop that long delays nothing noticeably.
public final class InferencePool: Sendable {
    /// The number of threads.
    public let threadCount: Int
    /// Work expected to take at most this long runs on the calling thread; zero turns that off.
    public let inlineLimit: Duration
    private let threads: NIOThreadPool

    /// Starts `threads` threads; they live as long as the process.
    public init(threads: Int, inlineLimit: Duration = InferencePool.defaultInlineLimit) {
        threadCount = max(1, threads)
        self.inlineLimit = inlineLimit
        self.threads = NIOThreadPool(numberOfThreads: threadCount)
        self.threads.start()
    }

    /// The default for `inlineLimit`.
    public static let defaultInlineLimit = Duration.microseconds(50)

    /// A pool shared by everything in the process that does not bring its own (tests, mostly).
    public static let shared = InferencePool(threads: ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `work` on one of the pool's threads and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(work)
    }
}

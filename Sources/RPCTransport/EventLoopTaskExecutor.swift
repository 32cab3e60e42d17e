import NIOCore

/// Runs Swift tasks on a NIO event loop, so a handler's task starts and ends on the thread that
/// owns its connection instead of hopping to the global pool and back for every call. Public so
/// a client can keep its tasks on the loop of its connections too (the benchmark load client).
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

import Dispatch

/// Runs async work to completion from synchronous code (libFuzzer's callback thread, which is
/// not one of the concurrency pool's threads, so blocking it starves nothing).
public func blockingWait<Result: Sendable>(_ work: @escaping @Sendable () async -> Result) -> Result {
    let box = ResultBox<Result>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await work()
        done.signal()
    }
    done.wait()
    return box.value!
}

/// Carries a result across the semaphore; the semaphore orders the write before the read.
private final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}

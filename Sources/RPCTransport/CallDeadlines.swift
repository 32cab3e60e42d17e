import NIOCore

/// The deadlines of one connection's calls, expired by a single timer armed for the earliest
/// one instead of a timer per call.
///
/// A call costs a dictionary insert and remove; the timer is re-armed only when a call's
/// deadline comes before the armed one, which is rare because a caller's calls usually share a
/// timeout. When it fires, every call past its deadline expires and the timer moves to the next
/// deadline. Times come from the loop's clock (virtual in tests). Confined to the connection's
/// event loop.
final class CallDeadlines {
    private var deadlines: [Int32: NIODeadline] = [:]
    private var armed: (deadline: NIODeadline, task: Scheduled<Void>)?
    private let loop: any EventLoop
    /// Called, in stream order, for each stream whose deadline passed (already forgotten here).
    private let expired: (Int32) -> Void

    init(loop: any EventLoop, expired: @escaping (Int32) -> Void) {
        self.loop = loop
        self.expired = expired
    }

    /// Expires `stream` `nanoseconds` from now unless it is removed first.
    func set(_ stream: Int32, in nanoseconds: Int64) {
        let deadline = loop.now + .nanoseconds(max(0, nanoseconds))
        deadlines[stream] = deadline
        if let armed, armed.deadline <= deadline { return }
        arm(at: deadline)
    }

    /// The stream ended; its deadline no longer matters.
    func remove(_ stream: Int32) {
        deadlines.removeValue(forKey: stream)
    }

    /// The connection is gone: forget every deadline and stop the timer.
    func removeAll() {
        deadlines.removeAll()
        armed?.task.cancel()
        armed = nil
    }

    private func arm(at deadline: NIODeadline) {
        armed?.task.cancel()
        let task = loop.scheduleTask(deadline: deadline) { [loopBound = NIOLoopBound(self, eventLoop: loop)] in
            loopBound.value.fire()
        }
        armed = (deadline, task)
    }

    private func fire() {
        armed = nil
        let now = loop.now
        var due: [Int32] = []
        var next: NIODeadline?
        for (stream, deadline) in deadlines {
            if deadline <= now {
                due.append(stream)
            } else if next.map({ deadline < $0 }) ?? true {
                next = deadline
            }
        }
        for stream in due { deadlines.removeValue(forKey: stream) }
        if let next { arm(at: next) }
        for stream in due.sorted() { expired(stream) }
    }
}

import Logging
import Synchronization
import Testing

@testable import ServiceKit

@Suite("Lifecycle pieces")
struct LifecycleTests {
    @Test func drainingIsNotReadyForGood() {
        let readiness = Readiness()
        #expect(readiness.state == .ready)
        readiness.setCheck { .notReady("warming up") }
        #expect(readiness.state == .notReady("warming up"))
        readiness.setCheck { .ready }
        readiness.beginDraining()
        #expect(readiness.state == .notReady("shutting down"))
        #expect(readiness.isDraining)
    }

    @Test func reloadsRunOneAtATimeAndRequestsDuringOneCollapse() async throws {
        let log = ReloadLog()
        let gate = Gate()
        // Each reload holds until the test opens the gate once: no sleeps, no timing.
        let queue = ReloadQueue(
            reload: {
                log.began()
                await gate.pass()
                log.ended()
            }, logger: Logger(label: "test"))
        queue.request()
        try await until { log.state.running == 1 }
        for _ in 0..<5 { queue.request() }  // while the first runs: one more, not five
        gate.open()
        try await until { log.state.runs == 1 && log.state.running == 1 }
        gate.open()
        try await until { log.state.runs == 2 && log.state.running == 0 }
        #expect(!log.state.overlapped)
        await queue.stop()
        queue.request()
        #expect(log.state.runs == 2 && log.state.running == 0, "no reload after stop")
    }

    /// Yields until `condition` holds; fails after many tries instead of hanging.
    private func until(_ condition: () -> Bool) async throws {
        for _ in 0..<1_000_000 where !condition() { await Task.yield() }
        try #require(condition())
    }
}

/// Lets one waiter through per `open`, in order; an `open` with nobody waiting is kept.
private final class Gate: Sendable {
    private let state = Mutex<(permits: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    func pass() async {
        await withCheckedContinuation { continuation in
            let go = state.withLock { state -> Bool in
                if state.permits > 0 {
                    state.permits -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if go { continuation.resume() }
        }
    }

    func open() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.permits += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume()
    }
}

/// What the reloads under test did.
private final class ReloadLog: Sendable {
    private let mutex = Mutex<(runs: Int, running: Int, overlapped: Bool)>((0, 0, false))

    var state: (runs: Int, running: Int, overlapped: Bool) { mutex.withLock { $0 } }

    func began() {
        mutex.withLock {
            $0.running += 1
            if $0.running > 1 { $0.overlapped = true }
        }
    }

    func ended() {
        mutex.withLock {
            $0.running -= 1
            $0.runs += 1
        }
    }
}

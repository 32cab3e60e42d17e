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
        let queue = ReloadQueue(
            reload: {
                log.began()
                try? await Task.sleep(for: .milliseconds(50))
                log.ended()
            }, logger: Logger(label: "test"))
        queue.request()
        for _ in 0..<5 { queue.request() }  // while the first runs: one more, not five
        for _ in 0..<100 where log.state.runs < 2 {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(log.state.runs == 2)
        #expect(!log.state.overlapped)
        await queue.stop()
        queue.request()
        try await Task.sleep(for: .milliseconds(80))
        #expect(log.state.runs == 2, "no reload after stop")
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

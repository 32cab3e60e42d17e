import Testing

@testable import Routing

@Suite struct ConcurrencyAutoscalerTests {
    let policy = AutoscalingPolicy(targetConcurrency: 10, minReplicas: 1, maxReplicas: 20)

    @Test func desiredReplicasFollowTheStableAverage() {
        let clock = ManualRoutingClock()
        let autoscaler = ConcurrencyAutoscaler(policy: policy, clock: clock)
        #expect(
            autoscaler.hint(readyReplicas: 1)
                == .init(
                    stableConcurrency: 0, panicConcurrency: 0,
                    desiredReplicas: 1, inPanic: false))
        autoscaler.record(concurrency: 25)
        clock.advance(by: .seconds(60))
        let hint = autoscaler.hint(readyReplicas: 3)
        #expect(abs(hint.stableConcurrency - 25) < 1e-9)
        #expect(abs(hint.panicConcurrency - 25) < 1e-9)
        #expect(hint.desiredReplicas == 3)  // ceil(25 / 10)
        #expect(!hint.inPanic)
    }

    @Test func callsAreIntegratedOverTime() {
        let clock = ManualRoutingClock()
        let autoscaler = ConcurrencyAutoscaler(policy: policy, clock: clock)
        clock.advance(by: .seconds(30))
        for _ in 0..<40 { autoscaler.callStarted() }
        clock.advance(by: .seconds(30))
        // 40 in flight for the last 30 of 60 seconds: 20 on average over the stable window, 40 over the panic window.
        var hint = autoscaler.hint(readyReplicas: 4)
        #expect(abs(hint.stableConcurrency - 20) < 1e-9)
        #expect(abs(hint.panicConcurrency - 40) < 1e-9)
        #expect(hint.desiredReplicas == 2)  // Panic needs 2× the ready replicas; 4 wanted of 4 ready is not.
        for _ in 0..<40 { autoscaler.callEnded() }
        autoscaler.callEnded()  // Never below zero.
        clock.advance(by: .seconds(60))
        hint = autoscaler.hint(readyReplicas: 4)
        #expect(hint.stableConcurrency == 0 && hint.desiredReplicas == 1)
    }

    @Test func boundsApply() {
        let clock = ManualRoutingClock()
        let autoscaler = ConcurrencyAutoscaler(
            policy: AutoscalingPolicy(targetConcurrency: 1, minReplicas: 2, maxReplicas: 5), clock: clock)
        #expect(autoscaler.hint(readyReplicas: 2).desiredReplicas == 2)
        autoscaler.record(concurrency: 100)
        clock.advance(by: .seconds(60))
        #expect(autoscaler.hint(readyReplicas: 5).desiredReplicas == 5)
    }

    @Test func panicScalesUpOnlyAndEndsAfterAStableWindow() {
        let clock = ManualRoutingClock()
        let autoscaler = ConcurrencyAutoscaler(policy: policy, clock: clock)
        autoscaler.record(concurrency: 20)
        clock.advance(by: .seconds(60))
        #expect(autoscaler.hint(readyReplicas: 2).desiredReplicas == 2)

        // A burst: 60 in flight for 6 seconds wants 6 replicas in the panic window, 3× the 2 ready.
        autoscaler.record(concurrency: 60)
        clock.advance(by: .seconds(6))
        var hint = autoscaler.hint(readyReplicas: 2)
        #expect(hint.inPanic)
        #expect(abs(hint.panicConcurrency - 60) < 1e-9)
        #expect(hint.desiredReplicas == 6)  // Not the stable window's ceil(24 / 10) = 3.

        // The burst ends: still in panic, the hint does not come down.
        autoscaler.record(concurrency: 0)
        clock.advance(by: .seconds(10))
        hint = autoscaler.hint(readyReplicas: 6)
        #expect(hint.inPanic && hint.desiredReplicas == 6)

        // A stable window after the condition last held, panic ends and the stable average rules.
        clock.advance(by: .seconds(50))
        hint = autoscaler.hint(readyReplicas: 6)
        #expect(!hint.inPanic)
        #expect(hint.desiredReplicas == 1)
    }

    @Test func panicNeverGoesBelowTheReadyReplicasAtItsStart() {
        let clock = ManualRoutingClock()
        let autoscaler = ConcurrencyAutoscaler(policy: policy, clock: clock)
        autoscaler.record(concurrency: 30)
        clock.advance(by: .seconds(6))
        // 30 wants 3 replicas, 3× one ready: panic, floor at the ready count is below that.
        #expect(autoscaler.hint(readyReplicas: 1).desiredReplicas == 3)
        autoscaler.record(concurrency: 5)
        clock.advance(by: .seconds(6))
        let hint = autoscaler.hint(readyReplicas: 3)
        #expect(hint.inPanic && hint.desiredReplicas == 3)
    }
}

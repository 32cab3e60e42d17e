import Foundation
import Testing

@testable import Routing

/// The pieces that let a leader judge every gateway's traffic as one: mergeable latency windows
/// and a panic rule that works on summed concurrency.
@Suite struct SharedMeasurementTests {
    @Test func mergedWindowsMatchOneGatewaySeeingEveryCall() {
        let together = VersionStats()
        let parts = [VersionStats(), VersionStats(), VersionStats()]
        for index in 0..<3000 {
            let latency = Duration.microseconds(Int64(200 + (index * 37) % 5000))
            let failed = index % 50 == 0
            together.record(latency: latency, failed: failed)
            parts[index % 3].record(latency: latency, failed: failed)
        }
        let merged = StatsWindow.merged(parts.map { $0.window() })
        #expect(merged == together.snapshot())
        #expect(merged.calls == 3000 && merged.errors == 60)
    }

    @Test func emptyAndMalformedWindowsAddNothing() {
        #expect(StatsWindow.merged([]) == VersionStatsSnapshot(calls: 0, errors: 0))
        let odd = StatsWindow(calls: 2, errors: -5, latency: [[100], [200, 0], [300, 2, 9]])
        #expect(StatsWindow.merged([odd]) == VersionStatsSnapshot(calls: 2, errors: 0))
    }

    @Test func windowsSurviveJSON() throws {
        let stats = VersionStats()
        for micros in [150, 900, 12_000, 3_000_000] { stats.record(latency: .microseconds(Int64(micros)), failed: false) }
        let window = stats.window()
        let decoded = try JSONDecoder().decode(StatsWindow.self, from: JSONEncoder().encode(window))
        #expect(decoded == window)
        #expect(StatsWindow.merged([decoded]) == stats.snapshot())
    }

    /// Three gateways each with 1.5 calls in flight need what one gateway with 4.5 needs, not the
    /// sum of three rounded-up shares.
    @Test func summedConcurrencyGivesTheSingleGatewayHint() {
        let policy = AutoscalingPolicy(targetConcurrency: 4, minReplicas: 1, maxReplicas: 10)
        let clock = ManualRoutingClock()
        let single = ConcurrencyAutoscaler(policy: policy, clock: clock)
        let shares = (0..<3).map { _ in ConcurrencyAutoscaler(policy: policy, clock: clock) }
        single.record(concurrency: 4.5)
        for share in shares { share.record(concurrency: 1.5) }
        clock.advance(by: .seconds(60))
        let alone = single.hint(readyReplicas: 1)
        let averages = shares.map { $0.averages() }
        var mode = PanicMode()
        let cluster = mode.hint(
            stableConcurrency: averages.map(\.stable).reduce(0, +), panicConcurrency: averages.map(\.panic).reduce(0, +),
            readyReplicas: 1, policy: policy, panicThreshold: 2, now: 60)
        #expect(cluster.desiredReplicas == alone.desiredReplicas)
        #expect(cluster.desiredReplicas == 2)
        #expect(shares.map { $0.hint(readyReplicas: 1).desiredReplicas }.reduce(0, +) == 3)
    }

    @Test func panicModeHoldsItsFloorUntilAStableWindowPasses() {
        let policy = AutoscalingPolicy(targetConcurrency: 1, minReplicas: 1, maxReplicas: 50)
        var mode = PanicMode()
        let burst = mode.hint(
            stableConcurrency: 2, panicConcurrency: 20, readyReplicas: 2, policy: policy, panicThreshold: 2, now: 0)
        #expect(burst.inPanic && burst.desiredReplicas == 20)
        let after = mode.hint(
            stableConcurrency: 2, panicConcurrency: 1, readyReplicas: 20, policy: policy, panicThreshold: 2, now: 30)
        #expect(after.inPanic && after.desiredReplicas == 20)
        let calm = mode.hint(
            stableConcurrency: 2, panicConcurrency: 1, readyReplicas: 20, policy: policy, panicThreshold: 2, now: 61)
        #expect(!calm.inPanic && calm.desiredReplicas == 2)
    }
}

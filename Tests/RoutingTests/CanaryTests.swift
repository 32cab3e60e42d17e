import Foundation
import Testing

@testable import Routing

@Suite struct CanaryTests {
    let policy = CanaryPolicy(
        stable: "1", candidate: "2", steps: [5, 25, 50, 100], interval: .seconds(30),
        minCalls: 100, maxErrorRate: 0.01, maxP99Ratio: 1.5)
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    func healthy(_ calls: Int, p99 milliseconds: Int64 = 10) -> VersionStatsSnapshot {
        VersionStatsSnapshot(calls: calls, errors: 0, p50: .milliseconds(5), p99: .milliseconds(milliseconds))
    }

    @Test func stepsThroughEveryStepToPromotion() throws {
        var state = CanaryState.start(policy, at: start)
        #expect(state.weights == ["1": 95, "2": 5])
        var now = start
        var weights: [Int] = [state.candidateWeight]
        for _ in 0..<4 {
            // Enough calls but the interval has not passed: hold.
            let early = CanaryAnalysis.evaluate(
                policy: policy, state: state, stable: healthy(1000),
                candidate: healthy(200), now: now.addingTimeInterval(10))
            #expect(early.action == .hold(.intervalNotElapsed(remaining: .seconds(20))))
            #expect(!early.resetsMeasurements)
            // The interval passed with too few candidate calls: hold.
            now = now.addingTimeInterval(30)
            let few = CanaryAnalysis.evaluate(
                policy: policy, state: state, stable: healthy(1000),
                candidate: healthy(99), now: now)
            #expect(few.action == .hold(.notEnoughCalls(calls: 99, needed: 100)))
            // Stable gets nothing at 100%: the baseline from the previous steps stands in.
            let stableCalls = state.candidateWeight == 100 ? 0 : 1000
            let decision = CanaryAnalysis.evaluate(
                policy: policy, state: state, stable: healthy(stableCalls),
                candidate: healthy(100), now: now)
            #expect(decision.resetsMeasurements)
            state = decision.state
            weights.append(state.candidateWeight)
        }
        #expect(weights == [5, 25, 50, 100, 100])
        #expect(state.phase == .promoted)
        #expect(state.weights == ["1": 0, "2": 100])
        #expect(state.history.map(\.phase) == ["progressing", "progressing", "progressing", "progressing", "promoted"])
        #expect(state.history.last?.reason.hasPrefix("promoted: last step at 100% passed") == true)
        let after = CanaryAnalysis.evaluate(
            policy: policy, state: state, stable: healthy(0), candidate: healthy(500),
            now: now.addingTimeInterval(100))
        #expect(after.action == .hold(.notProgressing))
    }

    @Test func errorBreachRollsBackBeforeTheIntervalEnds() {
        let state = CanaryState.start(policy, at: start)
        let failing = VersionStatsSnapshot(calls: 100, errors: 3, p99: .milliseconds(10))
        let stable = VersionStatsSnapshot(calls: 2000, errors: 20, p99: .milliseconds(10))
        let decision = CanaryAnalysis.evaluate(
            policy: policy, state: state, stable: stable, candidate: failing,
            now: start.addingTimeInterval(1))
        #expect(decision.action == .rollBack)
        #expect(decision.state.weights == ["1": 100, "2": 0])
        guard case .rolledBack(let reason) = decision.state.phase else {
            Issue.record("not rolled back: \(decision.state.phase)")
            return
        }
        #expect(reason == "candidate error rate 3.00% exceeds stable's 1.00% by more than 1.00%")
        // Below min_calls the same rate is not judged yet.
        let early = CanaryAnalysis.evaluate(
            policy: policy, state: state, stable: stable,
            candidate: VersionStatsSnapshot(calls: 99, errors: 3), now: start.addingTimeInterval(1))
        #expect(early.action == .hold(.notEnoughCalls(calls: 99, needed: 100)))
    }

    @Test func latencyBreachesAndAbsoluteCaps() {
        let state = CanaryState.start(policy, at: start)
        let slow = CanaryAnalysis.evaluate(
            policy: policy, state: state, stable: healthy(1000, p99: 10),
            candidate: healthy(100, p99: 16), now: start)
        #expect(slow.action == .rollBack)
        #expect(slow.reason.contains("1.60× stable's"))
        let withinRatio = CanaryAnalysis.evaluate(
            policy: policy, state: state, stable: healthy(1000, p99: 10),
            candidate: healthy(100, p99: 15), now: start.addingTimeInterval(30))
        #expect(withinRatio.action == .advance(toPercent: 25))

        var capped = policy
        capped.maxP99 = .milliseconds(12)
        capped.maxErrorRateAbsolute = 0.02
        let overLatencyCap = CanaryAnalysis.evaluate(
            policy: capped, state: state, stable: healthy(1000, p99: 10),
            candidate: healthy(100, p99: 13), now: start)
        #expect(overLatencyCap.reason == "rolled back: candidate p99 13.000ms is above the cap 12.000ms")
        capped.maxErrorRate = 1
        let bothFailing = CanaryAnalysis.evaluate(
            policy: capped, state: state,
            stable: VersionStatsSnapshot(calls: 1000, errors: 500, p99: .milliseconds(10)),
            candidate: VersionStatsSnapshot(calls: 100, errors: 50, p99: .milliseconds(10)), now: start)
        #expect(bothFailing.reason == "rolled back: candidate error rate 50.00% is above the cap 2.00%")
    }

    @Test func pauseResumeAbortAndSetWeight() throws {
        var state = CanaryState.start(policy, at: start)
        try state.pause(at: start.addingTimeInterval(1))
        #expect(throws: CanaryActionError(message: "cannot pause a canary that is paused")) {
            try state.pause(at: start)
        }
        let paused = CanaryAnalysis.evaluate(
            policy: policy, state: state, stable: healthy(1000),
            candidate: healthy(1000), now: start.addingTimeInterval(100))
        #expect(paused.action == .hold(.notProgressing))
        #expect(state.weights == ["1": 95, "2": 5])

        try state.resume(at: start.addingTimeInterval(100))
        // Resuming restarts the step clock.
        let justResumed = CanaryAnalysis.evaluate(
            policy: policy, state: state, stable: healthy(1000),
            candidate: healthy(1000), now: start.addingTimeInterval(110))
        #expect(justResumed.action == .hold(.intervalNotElapsed(remaining: .seconds(20))))

        try state.setWeight(30, policy: policy, at: start.addingTimeInterval(120))
        #expect(state.phase == .paused && state.candidateWeight == 30 && state.stepIndex == 1)
        try state.resume(at: start.addingTimeInterval(130))
        let next = CanaryAnalysis.evaluate(
            policy: policy, state: state, stable: healthy(1000),
            candidate: healthy(1000), now: start.addingTimeInterval(160))
        #expect(next.action == .advance(toPercent: 50))
        #expect(throws: CanaryActionError(message: "weight must be from 0 to 100, got 101")) {
            try state.setWeight(101, policy: policy, at: start)
        }

        try state.abort(at: start.addingTimeInterval(200), reason: "bad predictions")
        #expect(state.phase == .aborted(reason: "bad predictions"))
        #expect(state.weights == ["1": 100, "2": 0])
        #expect(throws: CanaryActionError.self) { try state.resume(at: start) }
        #expect(throws: CanaryActionError.self) { try state.promote(at: start) }
        #expect(state.history.map(\.phase) == ["progressing", "paused", "progressing", "paused", "progressing", "aborted"])

        var promoted = CanaryState.start(policy, at: start)
        try promoted.promote(at: start.addingTimeInterval(5))
        #expect(promoted.weights == ["1": 0, "2": 100])
        #expect(promoted.matches(policy))
    }

    @Test func historyIsCapped() throws {
        var state = CanaryState.start(policy, at: start)
        for second in 1...30 {
            let now = start.addingTimeInterval(Double(second))
            if state.phase == .paused { try state.resume(at: now) } else { try state.pause(at: now) }
        }
        #expect(state.history.count == CanaryState.historyLimit)
        #expect(state.history.last?.at == start.addingTimeInterval(30))
    }

    @Test func versionStatsMeasureAndReset() {
        let stats = VersionStats()
        #expect(stats.snapshot() == VersionStatsSnapshot(calls: 0, errors: 0))
        for millisecond in 1...100 {
            stats.record(latency: .milliseconds(millisecond), failed: millisecond % 10 == 0)
        }
        let snapshot = stats.snapshotAndReset()
        #expect(snapshot.calls == 100 && snapshot.errors == 10 && snapshot.errorRate == 0.1)
        // Three significant digits: within 0.1% of the true values.
        #expect(abs(snapshot.p50.secondsValue - 0.050) <= 0.000_05)
        #expect(abs(snapshot.p99.secondsValue - 0.099) <= 0.000_1)
        #expect(stats.snapshot().calls == 0)
        stats.record(latency: .seconds(7200), failed: false)
        #expect(stats.snapshot().max >= .seconds(3599))
    }

    @Test func versionStatsAcceptConcurrentRecords() async {
        let stats = VersionStats()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<1000 { stats.record(latency: .microseconds(250), failed: false) } }
            }
        }
        #expect(stats.snapshot().calls == 8000)
    }
}

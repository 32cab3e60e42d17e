import InferenceAPI
import Logging
import ModelRepository
import Synchronization
import Testing

@testable import ModelWorker

/// Keeps the queue waits a version reports: a call that ran on the receiving thread reports
/// exactly zero, one that hopped to an inference thread a positive wait.
private final class WaitLog: InferenceObserver, InferenceRecorder {
    let waits = Mutex<[Duration]>([])
    func recorder(model: String, version: Int) -> any InferenceRecorder { self }
    func queued(for wait: Duration) { waits.withLock { $0.append(wait) } }
    func computed(rows: Int, duration: Duration) {}
    func finished(succeeded: Bool) {}
}

@Suite("Cheap models run on the receiving thread")
struct InlineExecutionTests {
    /// Calls a forest on iris `calls` times with a pool whose inline limit is `limit`; returns the waits.
    private func waits(inlineLimit limit: Duration, calls: Int) async throws -> [Duration] {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "forest_iris")
        let pool = InferencePool(threads: 1, inlineLimit: limit)
        let log = WaitLog()
        var quiet = Logger(label: "test.repository")
        quiet.logLevel = .critical
        let reconciler = ModelReconciler(scanner: RepositoryScanner(root: repository.root), logger: quiet) { request in
            try ServedModel(loading: request, pool: pool, observer: log)
        }
        try await reconciler.reconcile()
        let worker = ModelWorkerService(store: reconciler.store, pool: pool)
        let x = InferTensor(name: "X", shape: [1, 4], values: [Float(5.9), 3.0, 5.1, 1.8])
        for _ in 0..<calls {
            let response = try await worker.modelInfer(InferRequest(modelName: "iris", inputs: [x]), context: testContext)
            #expect(response.outputs.count == 2)
        }
        return log.waits.withLock { $0 }
    }

    @Test func theFirstCallMeasuresOnThePoolThenCheapCallsRunInline() async throws {
        let waits = try await waits(inlineLimit: .seconds(1), calls: 4)
        #expect(waits.count == 4)
        #expect(waits.first.map { $0 > .zero } == true, "an unmeasured model must not run on the event loop: \(waits)")
        #expect(waits.dropFirst().allSatisfy { $0 == .zero }, "\(waits)")
    }

    @Test func aZeroLimitAlwaysUsesThePool() async throws {
        let waits = try await waits(inlineLimit: .zero, calls: 3)
        #expect(waits.count == 3 && waits.allSatisfy { $0 > .zero }, "\(waits)")
    }

    @Test func theCostEstimateScalesWithRowsAndFollowsSlowerRuns() {
        let estimate = ComputeCostEstimate()
        #expect(estimate.expected(rows: 1) > .seconds(1_000_000))
        estimate.record(rows: 4, duration: .nanoseconds(400))
        #expect(estimate.expected(rows: 1) == .nanoseconds(100))
        #expect(estimate.expected(rows: 64) == .nanoseconds(6_400))
        // A model that turns slow leaves the event loop within a few calls.
        for _ in 0..<20 { estimate.record(rows: 1, duration: .milliseconds(1)) }
        #expect(estimate.expected(rows: 1) > .microseconds(900))
        #expect(estimate.expected(rows: Int.max) > .seconds(1_000_000))
    }
}

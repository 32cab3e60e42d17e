import ModelWorker
import ONNXEngine
import Synchronization
import TestSupport
import Testing

@Suite("Dynamic batcher")
struct DynamicBatcherTests {
    /// Doubles input "x" into "y" and reports each row's first value as "id"; records batch sizes.
    final class Doubler: Sendable {
        let batches = Mutex<[Int]>([])

        func execute(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
            let x = inputs["x"]!
            batches.withLock { $0.append(x.shape[0]) }
            let values = x.floats!
            let perRow = x.shape[1]
            return [
                "y": Tensor(shape: x.shape, floats: values.map { $0 * 2 }),
                "id": Tensor(
                    shape: [x.shape[0]], int64s: stride(from: 0, to: values.count, by: perRow).map { Int64(values[$0]) }),
            ]
        }
    }

    private func request(_ first: Float, rows: Int = 1) -> DynamicBatcher.Request {
        let values = (0..<rows * 2).map { first + Float($0 / 2) + (($0 % 2 == 0) ? 0 : 0.5) }
        return DynamicBatcher.Request(inputs: ["x": Tensor(shape: [rows, 2], floats: values)], rows: rows)
    }

    /// Submits two one-row requests concurrently and returns the errors they failed with.
    private func submitTwo(_ batcher: DynamicBatcher) async -> [(any Error)?] {
        let (first, second) = (request(1), request(2))
        async let a: (any Error)? = { do { _ = try await batcher.submit(first); return nil } catch { return error } }()
        async let b: (any Error)? = { do { _ = try await batcher.submit(second); return nil } catch { return error } }()
        return await [a, b]
    }

    @Test func concurrentRequestsMergeWithinTheDelayAndGetTheirOwnRows() async throws {
        let clock = ManualClock()
        let doubler = Doubler()
        let batcher = DynamicBatcher(
            maxBatchSize: 8, maxQueueDelay: .microseconds(500), maxConcurrentBatches: 1,
            clock: BatchingClock(clock), execute: { try doubler.execute($0) })
        async let a = batcher.submit(request(10))
        async let b = batcher.submit(request(20, rows: 2))
        async let c = batcher.submit(request(40))
        try await eventually { batcher.queuedCount == 3 && clock.sleeperCount == 1 }
        #expect(doubler.batches.withLock { $0 }.isEmpty)
        clock.advance(by: .microseconds(499))
        #expect(batcher.queuedCount == 3)
        clock.advance(by: .microseconds(1))
        let (ra, rb, rc) = try await (a, b, c)
        #expect(doubler.batches.withLock { $0 } == [4])
        #expect(batcher.statistics == .init(batches: 1, requests: 3, rows: 4))
        #expect(ra["id"]?.int64s == [10])
        #expect(rb["id"]?.int64s == [20, 21])
        #expect(rb["y"]?.shape == [2, 2])
        #expect(rb["y"]?.floats == [40, 41, 42, 43])
        #expect(rc["id"]?.int64s == [40])
        #expect(rc["y"]?.floats == [80, 81])
    }

    @Test func aFullBatchDoesNotWaitForTheClock() async throws {
        let clock = ManualClock()
        let doubler = Doubler()
        let batcher = DynamicBatcher(
            maxBatchSize: 2, maxQueueDelay: .seconds(60), maxConcurrentBatches: 1,
            clock: BatchingClock(clock), execute: { try doubler.execute($0) })
        async let a = batcher.submit(request(1))
        async let b = batcher.submit(request(2))
        let (ra, rb) = try await (a, b)
        #expect(ra["id"]?.int64s == [1] && rb["id"]?.int64s == [2])
        #expect(doubler.batches.withLock { $0 } == [2])
    }

    @Test func anEngineErrorReachesEveryCallerOfTheBatch() async throws {
        let clock = ManualClock()
        let batcher = DynamicBatcher(
            maxBatchSize: 2, maxQueueDelay: .seconds(60), maxConcurrentBatches: 1, clock: BatchingClock(clock),
            execute: { _ in throw ONNXError(.invalidInput, "boom") })
        let results = await submitTwo(batcher)
        #expect(results.allSatisfy { ($0 as? ONNXError)?.message == "boom" })
    }

    @Test func anUnbatchedOutputIsAnError() async throws {
        let clock = ManualClock()
        let batcher = DynamicBatcher(
            maxBatchSize: 2, maxQueueDelay: .seconds(60), maxConcurrentBatches: 1, clock: BatchingClock(clock),
            execute: { _ in ["total": Tensor(shape: [], floats: [1])] })
        let results = await submitTwo(batcher)
        #expect(results.allSatisfy { $0 is BatchingError })
    }
}

import ModelWorker
import Testing

@Suite("Dynamic batching policy")
struct BatchQueueTests {
    typealias Queue = BatchQueue<String, String>

    private func runs(_ actions: [Queue.Action]) -> [[String]] {
        actions.compactMap { if case .run(let items) = $0 { items } else { nil } }
    }

    private func wakeUps(_ actions: [Queue.Action]) -> [Duration] {
        actions.compactMap { if case .wakeUp(let time) = $0 { time } else { nil } }
    }

    @Test func waitsForTheDelayThenRunsWhatCame() {
        var queue = Queue(maxBatchSize: 8, maxQueueDelay: .microseconds(100))
        let first = queue.enqueue("a", rows: 1, signature: "s", now: .zero)
        #expect(runs(first).isEmpty)
        #expect(wakeUps(first) == [.microseconds(100)])
        let second = queue.enqueue("b", rows: 2, signature: "s", now: .microseconds(40))
        #expect(second.isEmpty)  // Same deadline: no new wake-up.
        #expect(runs(queue.timerFired(now: .microseconds(99))).isEmpty)
        let fired = queue.timerFired(now: .microseconds(100))
        #expect(runs(fired) == [["a", "b"]])
        #expect(queue.queuedCount == 0 && queue.running == 1)
    }

    @Test func aFullBatchGoesAtOnce() {
        var queue = Queue(maxBatchSize: 4, maxQueueDelay: .seconds(1))
        _ = queue.enqueue("a", rows: 1, signature: "s", now: .zero)
        _ = queue.enqueue("b", rows: 1, signature: "s", now: .zero)
        #expect(runs(queue.enqueue("c", rows: 2, signature: "s", now: .zero)) == [["a", "b", "c"]])
    }

    @Test func aRequestThatDoesNotFitClosesTheBatch() {
        var queue = Queue(maxBatchSize: 4, maxQueueDelay: .seconds(1), maxConcurrentBatches: 2)
        _ = queue.enqueue("a", rows: 3, signature: "s", now: .zero)
        let actions = queue.enqueue("b", rows: 2, signature: "s", now: .microseconds(5))
        #expect(runs(actions) == [["a"]])
        // "b" now heads the queue and waits for its own deadline.
        #expect(wakeUps(actions) == [.seconds(1) + .microseconds(5)])
        #expect(queue.queuedCount == 1)
    }

    @Test func preferredSizesGoWithoutWaiting() {
        var queue = Queue(maxBatchSize: 16, maxQueueDelay: .seconds(1), preferredBatchSizes: [2, 4])
        _ = queue.enqueue("a", rows: 1, signature: "s", now: .zero)
        #expect(runs(queue.enqueue("b", rows: 1, signature: "s", now: .zero)) == [["a", "b"]])
        // With 3 rows queued the largest preferred prefix (2) goes; the third row waits.
        var other = Queue(maxBatchSize: 16, maxQueueDelay: .seconds(1), preferredBatchSizes: [2], maxConcurrentBatches: 1)
        _ = other.enqueue("x", rows: 3, signature: "t", now: .zero)
        #expect(runs(other.enqueue("y", rows: 1, signature: "u", now: .zero)).isEmpty)
    }

    @Test func incompatibleRequestsBatchSeparately() {
        var queue = Queue(maxBatchSize: 8, maxQueueDelay: .microseconds(10), maxConcurrentBatches: 4)
        _ = queue.enqueue("a1", rows: 1, signature: "[4] FP32", now: .zero)
        _ = queue.enqueue("b1", rows: 1, signature: "[5] FP32", now: .microseconds(1))
        _ = queue.enqueue("a2", rows: 1, signature: "[4] FP32", now: .microseconds(2))
        let fired = queue.timerFired(now: .microseconds(10))
        #expect(runs(fired) == [["a1", "a2"]])
        #expect(wakeUps(fired) == [.microseconds(11)])  // b1's own deadline.
        #expect(runs(queue.timerFired(now: .microseconds(11))) == [["b1"]])
    }

    @Test func concurrencyLimitHoldsTheQueueUntilABatchFinishes() {
        var queue = Queue(maxBatchSize: 2, maxQueueDelay: .zero, maxConcurrentBatches: 1)
        #expect(runs(queue.enqueue("a", rows: 1, signature: "s", now: .zero)) == [["a"]])
        // While "a" runs, requests queue up and are merged when it finishes.
        #expect(queue.enqueue("b", rows: 1, signature: "s", now: .zero).isEmpty)
        #expect(queue.enqueue("c", rows: 1, signature: "s", now: .zero).isEmpty)
        #expect(queue.enqueue("d", rows: 1, signature: "s", now: .zero).isEmpty)
        #expect(runs(queue.batchFinished(now: .microseconds(5))) == [["b", "c"]])
        #expect(runs(queue.batchFinished(now: .microseconds(6))) == [["d"]])
        #expect(queue.batchFinished(now: .microseconds(7)).isEmpty)
        #expect(queue.running == 0 && queue.queuedCount == 0)
    }

    @Test func zeroDelayRunsAloneWhenIdle() {
        var queue = Queue(maxBatchSize: 8, maxQueueDelay: .zero, maxConcurrentBatches: 2)
        #expect(runs(queue.enqueue("a", rows: 1, signature: "s", now: .zero)) == [["a"]])
        #expect(runs(queue.enqueue("b", rows: 1, signature: "s", now: .zero)) == [["b"]])
        #expect(queue.running == 2)
    }
}

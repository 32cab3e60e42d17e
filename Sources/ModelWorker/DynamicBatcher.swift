import ONNXEngine
import Synchronization

/// A clock reduced to what batching needs: the time since a fixed origin and a sleep until a
/// time measured from that origin. Built from any `Clock`, so tests can drive a manual one.
public struct BatchingClock: Sendable {
    public let now: @Sendable () -> Duration
    public let sleep: @Sendable (_ until: Duration) async throws -> Void

    public init<C: Clock>(_ clock: C) where C.Duration == Duration, C: Sendable, C.Instant: Sendable {
        let origin = clock.now
        now = { origin.duration(to: clock.now) }
        sleep = { try await clock.sleep(until: origin.advanced(by: $0), tolerance: nil) }
    }

    /// The system's continuous clock.
    public static let continuous = BatchingClock(ContinuousClock())
}

/// Merges concurrent requests to one model version into batches along dimension 0, following
/// `BatchQueue`, and gives each caller its own rows of the outputs.
public final class DynamicBatcher: Sendable {
    /// One request's inputs (by graph name) and its number of rows.
    public struct Request: Sendable {
        public var inputs: [String: Tensor]
        public var rows: Int

        public init(inputs: [String: Tensor], rows: Int) {
            self.inputs = inputs
            self.rows = rows
        }
    }

    /// Runs one merged batch: gets the merged inputs, returns the merged outputs.
    public typealias Execute = @Sendable (_ inputs: [String: Tensor]) async throws -> [String: Tensor]

    /// How many batches `execute` has been given, and how many rows in all.
    public struct Statistics: Sendable, Hashable {
        public var batches = 0
        public var requests = 0
        public var rows = 0

        public init(batches: Int = 0, requests: Int = 0, rows: Int = 0) {
            self.batches = batches
            self.requests = requests
            self.rows = rows
        }
    }

    struct Pending: Sendable {
        var request: Request
        var continuation: CheckedContinuation<[String: Tensor], any Error>
        /// When it was queued, on `clock`, for the queue time.
        var arrival: Duration
    }

    struct Signature: Hashable, Sendable {
        var inputs: [String: [Int]]
        var types: [String: Int32]
    }

    private struct State {
        var queue: BatchQueue<Pending, Signature>
        var timer: Task<Void, Never>?
        var statistics = Statistics()
    }

    private let state: Mutex<State>
    private let clock: BatchingClock
    private let execute: Execute
    private let recorder: any InferenceRecorder

    public init(
        maxBatchSize: Int, maxQueueDelay: Duration, preferredBatchSizes: [Int] = [], maxConcurrentBatches: Int,
        clock: BatchingClock = .continuous, recorder: any InferenceRecorder = DiscardingInferenceRecorder(),
        execute: @escaping Execute
    ) {
        state = Mutex(
            State(
                queue: BatchQueue(
                    maxBatchSize: maxBatchSize, maxQueueDelay: maxQueueDelay, preferredBatchSizes: preferredBatchSizes,
                    maxConcurrentBatches: maxConcurrentBatches)))
        self.clock = clock
        self.execute = execute
        self.recorder = recorder
    }

    /// Requests waiting to join a batch.
    public var queuedCount: Int { state.withLock { $0.queue.queuedCount } }

    /// What has run so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Queues `request` and returns its rows of the outputs once its batch has run.
    public func submit(_ request: Request) async throws -> [String: Tensor] {
        let signature = Signature(
            inputs: request.inputs.mapValues { Array($0.shape.dropFirst()) },
            types: request.inputs.mapValues { $0.elementType.rawValue })
        return try await withCheckedThrowingContinuation { continuation in
            let now = clock.now()
            let actions = state.withLock {
                $0.queue.enqueue(
                    Pending(request: request, continuation: continuation, arrival: now), rows: request.rows,
                    signature: signature, now: now)
            }
            perform(actions)
        }
    }

    private func perform(_ actions: [BatchQueue<Pending, Signature>.Action]) {
        for action in actions {
            switch action {
            case .run(let batch):
                Task { await self.run(batch) }
            case .wakeUp(let time):
                state.withLock { state in
                    state.timer?.cancel()
                    state.timer = Task { [clock] in
                        do { try await clock.sleep(time) } catch { return }
                        let actions = self.state.withLock { $0.queue.timerFired(now: clock.now()) }
                        self.perform(actions)
                    }
                }
            }
        }
    }

    private func run(_ batch: [Pending]) async {
        let rows = batch.reduce(0) { $0 + $1.request.rows }
        state.withLock {
            $0.statistics.batches += 1
            $0.statistics.requests += batch.count
            $0.statistics.rows += rows
        }
        let start = clock.now()
        for pending in batch { recorder.queued(for: start - pending.arrival) }
        do {
            let outputs = try await execute(Self.merge(batch.map(\.request)))
            let split = try Self.split(outputs, rows: batch.map(\.request.rows))
            for (pending, outputs) in zip(batch, split) { pending.continuation.resume(returning: outputs) }
        } catch {
            for pending in batch { pending.continuation.resume(throwing: error) }
        }
        let actions = state.withLock { $0.queue.batchFinished(now: clock.now()) }
        perform(actions)
    }

    /// The requests' inputs stacked along dimension 0.
    static func merge(_ requests: [Request]) -> [String: Tensor] {
        guard requests.count > 1 else { return requests.first?.inputs ?? [:] }
        var merged: [String: Tensor] = [:]
        for name in requests[0].inputs.keys {
            merged[name] = Tensor.concatenated(requests.map { $0.inputs[name]! })
        }
        return merged
    }

    /// Each request's rows of the merged outputs; every output must have one row per input row.
    static func split(_ outputs: [String: Tensor], rows: [Int]) throws(BatchingError) -> [[String: Tensor]] {
        let total = rows.reduce(0, +)
        if rows.count == 1 { return [outputs] }
        var parts = [[String: Tensor]](repeating: [:], count: rows.count)
        for (name, tensor) in outputs {
            guard tensor.shape.first == total else {
                throw BatchingError(
                    "output '\(name)' has shape \(tensor.shape), which is not batched along dimension 0 "
                        + "(\(total) rows); set max_batch_size: 0 for this model")
            }
            var start = 0
            for (index, count) in rows.enumerated() {
                parts[index][name] = tensor.rows(start..<start + count)
                start += count
            }
        }
        return parts
    }
}

/// A batch's outputs could not be split back per request.
public struct BatchingError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

import Foundation
import Synchronization

/// One model version's activity since it was loaded, in the shape of Triton's statistics
/// extension: request outcomes and the time of each stage, model runs by batch size.
public final class VersionStatistics: Sendable {
    public let name: String
    public let version: Int
    /// Whether the model batches along dimension 0; a model that does not counts each request
    /// as one inference of batch size 1, as Triton does.
    public let batches: Bool
    private let state = Mutex(State())

    private struct State {
        var stats = InferStatistics()
        var inferenceCount: UInt64 = 0
        var executionCount: UInt64 = 0
        var lastInference: UInt64 = 0
        /// Model runs and their compute time, indexed by batch size.
        var batches: [UInt64: StatisticDuration] = [:]
    }

    public init(name: String, version: Int, batches: Bool) {
        self.name = name
        self.version = version
        self.batches = batches
    }

    /// A request ended: its outcome, its rows (when the model batches), its whole time in the
    /// worker, and (when it ran) the time spent checking and converting its inputs and outputs.
    public func finished(succeeded: Bool, rows: Int, total: Duration, input: Duration?, output: Duration?) {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        state.withLock { state in
            if succeeded {
                state.stats.success.add(total)
                state.inferenceCount &+= batches ? UInt64(max(0, rows)) : 1
            } else {
                state.stats.fail.add(total)
            }
            if let input { state.stats.computeInput.add(input) }
            if let output { state.stats.computeOutput.add(output) }
            state.lastInference = now
        }
    }

    public func queued(for wait: Duration) {
        state.withLock { $0.stats.queue.add(wait) }
    }

    public func computed(rows: Int, duration: Duration) {
        state.withLock { state in
            state.stats.computeInfer.add(duration)
            state.executionCount &+= 1
            state.batches[batches ? UInt64(max(0, rows)) : 1, default: StatisticDuration()].add(duration)
        }
    }

    /// The statistics so far, as ModelStatistics reports them.
    public var snapshot: ModelStatistics {
        state.withLock { state in
            ModelStatistics(
                name: name, version: String(version), lastInference: state.lastInference,
                inferenceCount: state.inferenceCount, executionCount: state.executionCount, inferenceStats: state.stats,
                batchStats: state.batches.sorted { $0.key < $1.key }.map {
                    InferBatchStatistics(batchSize: $0.key, computeInfer: $0.value)
                })
        }
    }
}

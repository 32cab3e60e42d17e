import InferenceAPI
import ModelRepository
import ONNXEngine
import Synchronization

/// One input or output of a served model: the name callers use, the graph's name, its type
/// and its declared shape (-1 for a dynamic dimension; nil when the model leaves the rank open).
public struct ServedTensor: Sendable, Hashable {
    public var name: String
    public var graphName: String
    public var elementType: Tensor.ElementType
    public var datatype: TensorDataType
    public var shape: [Int64]?

    /// The signature reported in ModelMetadata (an open rank is reported as `[-1]`).
    public var metadata: TensorMetadata {
        TensorMetadata(name: name, datatype: datatype, shape: shape ?? [-1])
    }
}

/// A model version loaded and ready to serve: the engine's model, its served signature and,
/// when `max_batch_size > 0`, its batcher. Immutable; requests that hold it keep it alive after
/// it is swapped out.
public final class ServedModel: Sendable {
    public let name: String
    public let version: Int
    public let config: ModelConfig
    public let model: ONNXModel
    public let inputs: [ServedTensor]
    public let outputs: [ServedTensor]
    /// `inputs` by served name, for checking requests.
    let inputsByName: [String: ServedTensor]
    /// Present when batching is on.
    public let batcher: DynamicBatcher?
    /// Where this version's queue and compute times go (its statistics, then the observer).
    public let recorder: any InferenceRecorder
    /// What ModelStatistics reports for this version.
    public let statistics: VersionStatistics
    let pool: InferencePool
    /// This version's measured compute time per row, which decides where unbatched calls run.
    let cost = ComputeCostEstimate()

    /// Loads `request.file` and applies the config; errors name the file, the input or output,
    /// and the config key at fault.
    public convenience init(
        loading request: VersionLoadRequest, pool: InferencePool, limits: ONNXLimits = .defaults,
        clock: BatchingClock = .continuous, observer: (any InferenceObserver)? = nil
    ) throws(RepositoryError) {
        let model: ONNXModel
        do {
            model = try ONNXModel(contentsOfFile: request.file.path, limits: limits)
        } catch {
            throw RepositoryError("\(request.file.path): \(error.message)")
        }
        try self.init(
            model: model, name: request.model, version: request.version, config: request.config, pool: pool, clock: clock,
            observer: observer)
    }

    /// Serves an already loaded model.
    public init(
        model: ONNXModel, name: String, version: Int, config: ModelConfig, pool: InferencePool,
        clock: BatchingClock = .continuous, observer: (any InferenceObserver)? = nil
    ) throws(RepositoryError) {
        let configFile = "\(name)/\(RepositoryScanner.configFileName)"
        func served(_ infos: [ValueInfo], renames: [String: String], kind: String) throws(RepositoryError) -> [ServedTensor] {
            let known = Set(infos.map(\.name))
            if let unknown = renames.keys.sorted().first(where: { !known.contains($0) }) {
                throw RepositoryError(
                    "\(configFile): \(kind)s renames '\(unknown)', which is not a graph \(kind) "
                        + "(graph \(kind)s: \(infos.map(\.name).joined(separator: ", ")))")
            }
            var tensors: [ServedTensor] = []
            for info in infos {
                guard info.isTensor, let type = info.elementType else {
                    throw RepositoryError(
                        "\(kind) '\(info.name)' has a type the worker cannot serve (ONNX type \(info.onnxDataType))")
                }
                let shape = info.shape?.map { dimension -> Int64 in
                    if case .fixed(let size) = dimension { Int64(size) } else { -1 }
                }
                tensors.append(
                    ServedTensor(
                        name: renames[info.name] ?? info.name, graphName: info.name, elementType: type,
                        datatype: TensorConversion.dataType(of: type), shape: shape))
            }
            let names = tensors.map(\.name)
            if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
                throw RepositoryError("\(configFile): two \(kind)s would be served as '\(duplicate)'")
            }
            return tensors
        }
        let inputs = try served(model.inputs, renames: config.inputNames, kind: "input")
        let outputs = try served(model.outputs, renames: config.outputNames, kind: "output")
        if config.maxBatchSize > 0 {
            for input in inputs {
                if let shape = input.shape, shape.first.map({ $0 != -1 }) ?? true {
                    throw RepositoryError(
                        "\(configFile): max_batch_size \(config.maxBatchSize) needs every input to have a dynamic "
                            + "first dimension, but input '\(input.name)' has shape \(shape)")
                }
            }
        }
        self.name = name
        self.version = version
        self.config = config
        self.model = model
        self.inputs = inputs
        self.outputs = outputs
        inputsByName = Dictionary(inputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.pool = pool
        let statistics = VersionStatistics(name: name, version: version, batches: config.maxBatchSize > 0)
        self.statistics = statistics
        let recorder = StatisticsRecorder(
            statistics: statistics,
            next: observer?.recorder(model: name, version: version) ?? DiscardingInferenceRecorder())
        self.recorder = recorder
        if config.maxBatchSize > 0 {
            let batching = config.dynamicBatching ?? ModelConfig.DynamicBatching()
            batcher = DynamicBatcher(
                maxBatchSize: config.maxBatchSize, maxQueueDelay: .microseconds(batching.maxQueueDelayMicroseconds),
                preferredBatchSizes: batching.preferredBatchSizes, maxConcurrentBatches: pool.threadCount, clock: clock,
                recorder: recorder,
                execute: { [model] inputs in
                    try await pool.run { try Self.timedRun(model, inputs, recorder: recorder) }
                })
        } else {
            batcher = nil
        }
    }

    /// Runs one request without batching, reporting its queue and compute time: on the calling
    /// thread when this model's measured cost for that many rows is within the pool's inline
    /// limit, else on the inference pool.
    func run(_ inputs: [String: Tensor]) async throws -> [String: Tensor] {
        let model = self.model
        let recorder = self.recorder
        let cost = self.cost
        if cost.expected(rows: Self.rows(of: inputs)) <= pool.inlineLimit {
            recorder.queued(for: .zero)
            return try Self.timedRun(model, inputs, recorder: recorder, cost: cost)
        }
        let queuedAt = ContinuousClock.now
        return try await pool.run {
            recorder.queued(for: queuedAt.duration(to: .now))
            return try Self.timedRun(model, inputs, recorder: recorder, cost: cost)
        }
    }

    /// The inputs' leading dimension; 1 for scalars.
    private static func rows(of inputs: [String: Tensor]) -> Int {
        inputs.values.first?.shape.first ?? 1
    }

    /// Runs the model on the calling thread and reports how long it took, and on how many rows.
    private static func timedRun(
        _ model: ONNXModel, _ inputs: [String: Tensor], recorder: any InferenceRecorder, cost: ComputeCostEstimate? = nil
    ) throws -> [String: Tensor] {
        let rows = rows(of: inputs)
        let start = ContinuousClock.now
        defer {
            let duration = start.duration(to: .now)
            recorder.computed(rows: rows, duration: duration)
            cost?.record(rows: rows, duration: duration)
        }
        return try model.run(inputs)
    }

    /// The metadata of this version.
    public var metadata: ModelMetadataResponse {
        ModelMetadataResponse(
            name: name, versions: [String(version)], platform: "onnx",
            inputs: inputs.map(\.metadata), outputs: outputs.map(\.metadata))
    }
}

/// A running average of a model's compute time per row, unknown until the first run; updated
/// from whichever threads run the model (a lost update between two racing runs does not matter).
final class ComputeCostEstimate: Sendable {
    private let nanosecondsPerRow = Atomic<Int>(ComputeCostEstimate.unknown)
    private static let unknown = Int.max

    /// The time `rows` rows are expected to take; effectively infinite before the first run.
    func expected(rows: Int) -> Duration {
        let perRow = nanosecondsPerRow.load(ordering: .relaxed)
        guard perRow != Self.unknown else { return .seconds(Int64.max) }
        let (total, overflow) = perRow.multipliedReportingOverflow(by: max(1, rows))
        return overflow ? .seconds(Int64.max) : .nanoseconds(total)
    }

    /// Folds one run into the average (weight 1/8, so a model that turns slow leaves the
    /// event loop within a few calls).
    func record(rows: Int, duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds =
            seconds >= Int64(Int.max / 1_000_000_000 - 1)
            ? Int.max - 1 : Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let sample = max(0, nanoseconds) / max(1, rows)
        let old = nanosecondsPerRow.load(ordering: .relaxed)
        let new = old == Self.unknown ? sample : old - old / 8 + sample / 8
        nanosecondsPerRow.store(new, ordering: .relaxed)
    }
}

/// `ModelStatisticsRequest` (Triton's statistics extension): empty name for every model, empty
/// version for every version of the model.
public struct ModelStatisticsRequest: Sendable, Hashable {
    public var name: String
    public var version: String

    public init(name: String = "", version: String = "") {
        self.name = name
        self.version = version
    }
}

/// `StatisticDuration`: how many times something happened and its total time.
public struct StatisticDuration: Sendable, Hashable {
    public var count: UInt64
    public var nanoseconds: UInt64

    public init(count: UInt64 = 0, nanoseconds: UInt64 = 0) {
        self.count = count
        self.nanoseconds = nanoseconds
    }

    /// Counts one more occurrence taking `duration`.
    public mutating func add(_ duration: Duration) {
        count &+= 1
        nanoseconds &+= duration.wholeNanoseconds
    }

    /// The sum of two (replicas' statistics added up).
    public static func + (lhs: StatisticDuration, rhs: StatisticDuration) -> StatisticDuration {
        StatisticDuration(count: lhs.count &+ rhs.count, nanoseconds: lhs.nanoseconds &+ rhs.nanoseconds)
    }

    public static func += (lhs: inout StatisticDuration, rhs: StatisticDuration) { lhs = lhs + rhs }
}

extension Duration {
    /// The duration in whole nanoseconds, 0 when negative, saturating when huge.
    public var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}

/// `InferStatistics`: the durations of successful and failed requests and of their stages.
public struct InferStatistics: Sendable, Hashable {
    public var success = StatisticDuration()
    public var fail = StatisticDuration()
    /// Waiting for the model (or for a batch to form).
    public var queue = StatisticDuration()
    /// Checking and converting the request's tensors.
    public var computeInput = StatisticDuration()
    /// Running the model.
    public var computeInfer = StatisticDuration()
    /// Converting the outputs into the response.
    public var computeOutput = StatisticDuration()

    public init() {}

    public static func + (lhs: InferStatistics, rhs: InferStatistics) -> InferStatistics {
        var sum = InferStatistics()
        sum.success = lhs.success + rhs.success
        sum.fail = lhs.fail + rhs.fail
        sum.queue = lhs.queue + rhs.queue
        sum.computeInput = lhs.computeInput + rhs.computeInput
        sum.computeInfer = lhs.computeInfer + rhs.computeInfer
        sum.computeOutput = lhs.computeOutput + rhs.computeOutput
        return sum
    }
}

/// `InferBatchStatistics`: model runs of one batch size.
public struct InferBatchStatistics: Sendable, Hashable {
    public var batchSize: UInt64
    public var computeInfer: StatisticDuration

    public init(batchSize: UInt64, computeInfer: StatisticDuration = StatisticDuration()) {
        self.batchSize = batchSize
        self.computeInfer = computeInfer
    }
}

/// `ModelStatistics`: one model version's activity since it was loaded.
public struct ModelStatistics: Sendable, Hashable {
    public var name: String
    public var version: String
    /// Milliseconds since the Unix epoch of the last request's end; 0 before the first.
    public var lastInference: UInt64
    /// Rows inferred (a request of 4 rows counts 4).
    public var inferenceCount: UInt64
    /// Model runs (a batch of merged requests counts once).
    public var executionCount: UInt64
    public var inferenceStats: InferStatistics
    /// By batch size, ascending.
    public var batchStats: [InferBatchStatistics]

    public init(
        name: String, version: String, lastInference: UInt64 = 0, inferenceCount: UInt64 = 0, executionCount: UInt64 = 0,
        inferenceStats: InferStatistics = InferStatistics(), batchStats: [InferBatchStatistics] = []
    ) {
        self.name = name
        self.version = version
        self.lastInference = lastInference
        self.inferenceCount = inferenceCount
        self.executionCount = executionCount
        self.inferenceStats = inferenceStats
        self.batchStats = batchStats
    }

    /// Adds another replica's statistics of the same version to these.
    public mutating func add(_ other: ModelStatistics) {
        lastInference = max(lastInference, other.lastInference)
        inferenceCount &+= other.inferenceCount
        executionCount &+= other.executionCount
        inferenceStats = inferenceStats + other.inferenceStats
        var bySize: [UInt64: StatisticDuration] = [:]
        for batch in batchStats + other.batchStats { bySize[batch.batchSize, default: StatisticDuration()] += batch.computeInfer }
        batchStats = bySize.sorted { $0.key < $1.key }.map { InferBatchStatistics(batchSize: $0.key, computeInfer: $0.value) }
    }
}

/// `ModelStatisticsResponse`.
public struct ModelStatisticsResponse: Sendable, Hashable {
    public var modelStats: [ModelStatistics]

    public init(modelStats: [ModelStatistics]) { self.modelStats = modelStats }
}

import Metrics

/// Per model-version inference metrics, for executables that run models: requests, failures,
/// queue time, compute time and batch size. Handles are made once per version (`version(...)`),
/// when the version loads, and then used on every request.
public final class ModelMetrics: Sendable {
    private let metrics: ServiceMetrics

    /// Upper bounds for rows per model run: powers of two up to 1024.
    public static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

    public init(metrics: ServiceMetrics) {
        self.metrics = metrics
    }

    /// The handles of one model version.
    public func version(model: String, version: String) -> ModelVersionMetrics {
        ModelVersionMetrics(metrics: metrics, labels: [("model", model), ("version", version)])
    }
}

/// The metric handles of one model version.
public final class ModelVersionMetrics: Sendable {
    private let requests: Counter
    private let failures: Counter
    private let queueTime: Timer
    private let computeTime: Timer
    private let batchSize: Recorder

    init(metrics: ServiceMetrics, labels: [(String, String)]) {
        requests = metrics.counter(
            "model_inference_requests_total", help: "Inference requests that reached the model, per model and version.",
            labels: labels)
        failures = metrics.counter(
            "model_inference_failures_total", help: "Inference requests that reached the model and failed.", labels: labels)
        queueTime = metrics.timer(
            "model_inference_queue_seconds", help: "Time a request waited before its run (or its batch's) started.",
            labels: labels)
        computeTime = metrics.timer(
            "model_inference_compute_seconds", help: "Time one model run took on an inference thread.", labels: labels)
        batchSize = metrics.histogram(
            "model_batch_size", help: "Rows per model run (one request's, or a merged batch's).", labels: labels,
            buckets: ModelMetrics.batchSizeBuckets)
    }

    /// A request waited `wait` before its run started.
    public func queued(for wait: Duration) { queueTime.record(duration: wait) }

    /// The model ran once over `rows` rows, taking `duration`.
    public func computed(rows: Int, duration: Duration) {
        computeTime.record(duration: duration)
        batchSize.record(rows)
    }

    /// A request that reached the model ended.
    public func finished(succeeded: Bool) {
        requests.increment()
        if !succeeded { failures.increment() }
    }
}

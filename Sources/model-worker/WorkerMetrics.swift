import ModelWorker
import ServiceKit

/// Feeds the worker's per-version measurements into ServiceKit's model metrics.
struct WorkerMetrics: InferenceObserver {
    let metrics: ModelMetrics

    func recorder(model: String, version: Int) -> any InferenceRecorder {
        VersionRecorder(metrics: metrics.version(model: model, version: String(version)))
    }
}

/// One version's recorder, forwarding to its metric handles.
private struct VersionRecorder: InferenceRecorder {
    let metrics: ModelVersionMetrics

    func queued(for wait: Duration) { metrics.queued(for: wait) }
    func computed(rows: Int, duration: Duration) { metrics.computed(rows: rows, duration: duration) }
    func finished(succeeded: Bool) { metrics.finished(succeeded: succeeded) }
}

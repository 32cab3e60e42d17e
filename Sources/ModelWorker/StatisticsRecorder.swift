import InferenceAPI

/// Feeds queue and compute times to a version's statistics and then to the observer's recorder.
struct StatisticsRecorder: InferenceRecorder {
    let statistics: VersionStatistics
    let next: any InferenceRecorder

    public func queued(for wait: Duration) {
        statistics.queued(for: wait)
        next.queued(for: wait)
    }

    public func computed(rows: Int, duration: Duration) {
        statistics.computed(rows: rows, duration: duration)
        next.computed(rows: rows, duration: duration)
    }

    public func finished(succeeded: Bool) { next.finished(succeeded: succeeded) }
}

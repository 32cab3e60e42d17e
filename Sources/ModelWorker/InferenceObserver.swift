/// Receives what the worker measures about each model version, so an executable can turn it
/// into metrics without this module depending on a metrics library.
public protocol InferenceObserver: Sendable {
    /// Called once when a version loads; every request to that version reports to the result,
    /// so per-version handles are looked up once, not per call.
    func recorder(model: String, version: Int) -> any InferenceRecorder
}

/// The measurements of one model version. Called on the request path: implementations must be
/// cheap and must not block.
public protocol InferenceRecorder: Sendable {
    /// A request waited `wait` between arriving at the model and its run (or its batch's) starting.
    func queued(for wait: Duration)
    /// The model ran once (on an inference thread, or on the receiving thread for a cheap
    /// unbatched call) over `rows` rows (one request's, or a merged batch's), taking `duration`.
    func computed(rows: Int, duration: Duration)
    /// A request that reached the model ended, with outputs or with an error.
    func finished(succeeded: Bool)
}

/// A recorder that drops everything (no observer configured).
public struct DiscardingInferenceRecorder: InferenceRecorder {
    public init() {}
    public func queued(for wait: Duration) {}
    public func computed(rows: Int, duration: Duration) {}
    public func finished(succeeded: Bool) {}
}

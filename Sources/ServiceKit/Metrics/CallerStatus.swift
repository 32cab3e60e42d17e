import RPCCore

extension StatusCode {
    /// The status the caller saw. The transport answers DEADLINE_EXCEEDED itself and then cancels
    /// the handler, which may still end either way; past the deadline, that is what the caller got.
    static func seenByCaller(_ code: StatusCode, deadline: ContinuousClock.Instant?, end: ContinuousClock.Instant) -> StatusCode {
        if let deadline, end >= deadline, code == .ok || code == .cancelled { return .deadlineExceeded }
        return code
    }
}

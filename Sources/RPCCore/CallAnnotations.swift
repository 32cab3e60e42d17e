import Synchronization

/// What a handler learns about its call that the access log and traces should carry: the model
/// and version that served it, the caller's request id and the trace id. The transport knows only
/// bytes and headers; the service fills these in as it decodes and routes.
public final class CallAnnotations: Sendable {
    public struct Values: Sendable, Equatable {
        public var model: String?
        public var version: String?
        public var requestID: String?
        public var traceID: String?

        public init(model: String? = nil, version: String? = nil, requestID: String? = nil, traceID: String? = nil) {
            self.model = model
            self.version = version
            self.requestID = requestID
            self.traceID = traceID
        }
    }

    private struct State {
        var values = Values()
        /// A `traceparent` whose trace id is read only when `values` is asked for.
        var traceparent: String?
    }

    private let state = Mutex(State())

    public init() {}

    /// Records the values given; nil leaves a value as it was, and an empty request id counts as none.
    public func note(model: String? = nil, version: String? = nil, requestID: String? = nil, traceID: String? = nil) {
        state.withLock { state in
            if let model { state.values.model = model }
            if let version { state.values.version = version }
            if let requestID, !requestID.isEmpty { state.values.requestID = requestID }
            if let traceID { state.values.traceID = traceID }
        }
    }

    /// Records the trace through its `traceparent` header, parsed only if `values` is read: most
    /// calls are never logged, so most never pay for it. An explicit trace id noted wins.
    public func note(traceparent: String?) {
        guard let traceparent else { return }
        state.withLock { $0.traceparent = traceparent }
    }

    public var values: Values {
        state.withLock { state in
            var values = state.values
            if values.traceID == nil, let traceparent = state.traceparent {
                values.traceID = TraceContext.traceID(of: traceparent)
            }
            return values
        }
    }
}

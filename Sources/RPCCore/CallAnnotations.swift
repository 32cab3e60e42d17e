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

    private let state = Mutex(Values())

    public init() {}

    /// Records the values given; nil leaves a value as it was, and an empty request id counts as none.
    public func note(model: String? = nil, version: String? = nil, requestID: String? = nil, traceID: String? = nil) {
        state.withLock { values in
            if let model { values.model = model }
            if let version { values.version = version }
            if let requestID, !requestID.isEmpty { values.requestID = requestID }
            if let traceID { values.traceID = traceID }
        }
    }

    public var values: Values { state.withLock { $0 } }
}

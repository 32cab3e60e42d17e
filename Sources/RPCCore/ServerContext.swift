import Synchronization

/// What a handler knows about the call it serves (a class: it is passed around on every call,
/// and one reference is cheaper to hand over than a copy of every field).
public final class ServerContext: Sendable {
    /// The method path, `/package.Service/Method`.
    public let method: String
    /// The caller's custom metadata (reserved and pseudo headers removed).
    public let metadata: Metadata
    /// When the caller stops waiting, from `grpc-timeout`; nil when it sent none.
    public let deadline: ContinuousClock.Instant?
    /// The caller's address, for logs.
    public let peer: String
    /// Metadata the handler wants sent back: headers (before the first message) and trailers.
    public let response: ResponseMetadata
    /// What the handler learned about the call (model, version, ids), for the access log.
    public let annotations: CallAnnotations
    /// A bidirectional call's request messages; nil for unary and server-streaming calls, whose
    /// one request is the handler's argument.
    public let requests: (any RequestStreamSource)?

    public init(
        method: String, metadata: Metadata, deadline: ContinuousClock.Instant?, peer: String,
        response: ResponseMetadata = ResponseMetadata(), annotations: CallAnnotations = CallAnnotations(),
        requests: (any RequestStreamSource)? = nil
    ) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
        self.response = response
        self.annotations = annotations
        self.requests = requests
    }
}

/// Response metadata a handler adds while it runs; the transport reads it when it sends headers
/// and trailers.
public final class ResponseMetadata: Sendable {
    private let state = Mutex<(headers: Metadata, trailers: Metadata)>(([:], [:]))

    public init() {}

    /// Adds a response header; it is sent if the handler calls this before its first message.
    public func addHeader(_ name: String, _ value: String) {
        state.withLock { $0.headers.add(name, value) }
    }

    /// Adds a trailer, sent with the final status.
    public func addTrailer(_ name: String, _ value: String) {
        state.withLock { $0.trailers.add(name, value) }
    }

    public var headers: Metadata { state.withLock { $0.headers } }
    public var trailers: Metadata { state.withLock { $0.trailers } }
}

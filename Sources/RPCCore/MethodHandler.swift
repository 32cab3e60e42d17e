/// One method a server answers: its path and a type-erased handler over message bytes.
///
/// Handlers start on the event loop of the caller's connection and run there until they first
/// suspend, so a cheap handler answers with no thread hop; a handler with blocking or heavy work
/// must move it elsewhere (a dedicated thread or executor) rather than hold the loop.
public struct MethodHandler: Sendable {
    /// The shape of the call.
    public enum Kind: Sendable {
        case unary
        case serverStreaming
        /// Requests and replies both stream: the handler reads requests from `context.requests`
        /// as they arrive and writes replies to the stream.
        case bidirectionalStreaming
    }

    /// `/package.Service/Method`.
    public let path: String
    public let kind: Kind
    /// Runs the call: decodes the request, calls the typed handler and returns the bytes of the
    /// single reply (unary) or nil after writing every reply to `stream` (streaming). A
    /// bidirectional call's `request` is empty: its messages come from `context.requests`.
    public let run: Run

    /// The shape of `run`, and of the `next` an interceptor calls.
    public typealias Run =
        @Sendable (_ request: [UInt8], _ context: ServerContext, _ stream: any ResponseStreamSink)
        async throws -> [UInt8]?

    /// A method from its parts; for methods that work on the serialized bytes, and for
    /// `InterceptorChain`, which wraps `run`.
    public init(path: String, kind: Kind, run: @escaping Run) {
        self.path = path
        self.kind = kind
        self.run = run
    }

    /// A unary method: one request, one reply.
    public static func unary<Request: WireMessage, Response: WireMessage>(
        _ path: String,
        _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> MethodHandler {
        MethodHandler(path: path, kind: .unary) { bytes, context, _ in
            let request = try Request(wireBytes: bytes)
            return try await handler(request, context).wireBytes()
        }
    }

    /// A server-streaming method: one request, any number of replies written to the stream.
    public static func serverStreaming<Request: WireMessage, Response: WireMessage>(
        _ path: String,
        _ handler: @escaping @Sendable (Request, ServerContext, ResponseStream<Response>) async throws -> Void
    ) -> MethodHandler {
        MethodHandler(path: path, kind: .serverStreaming) { bytes, context, sink in
            let request = try Request(wireBytes: bytes)
            try await handler(request, context, ResponseStream(sink: sink))
            return nil
        }
    }

    /// A bidirectional-streaming method: requests read one by one as they arrive, any number of
    /// replies written to the stream. The call ends when the handler returns.
    public static func bidirectionalStreaming<Request: WireMessage, Response: WireMessage>(
        _ path: String,
        _ handler:
            @escaping @Sendable (RequestStream<Request>, ServerContext, ResponseStream<Response>) async throws -> Void
    ) -> MethodHandler {
        MethodHandler(path: path, kind: .bidirectionalStreaming) { _, context, sink in
            guard let source = context.requests else {
                throw RPCError(.internal, "\(path) is bidirectional but the transport gave it no request stream")
            }
            try await handler(RequestStream(source: source), context, ResponseStream(sink: sink))
            return nil
        }
    }
}

/// Where a bidirectional call's request messages come from; the transport implements it.
public protocol RequestStreamSource: Sendable {
    /// The next request message's bytes, once it has arrived; nil when the caller has ended its
    /// side. Throws when the call has ended (cancelled, deadline, connection gone) or the
    /// request stream is broken (a message over the size limit, a truncated message). One reader
    /// at a time; the transport reads more from the caller only as messages are taken.
    func next() async throws -> [UInt8]?
}

/// The typed reader a bidirectional handler receives.
public struct RequestStream<Message: WireMessage>: Sendable {
    public let source: any RequestStreamSource

    public init(source: any RequestStreamSource) { self.source = source }

    /// The next request, decoded; nil once the caller has ended its side. Throws as
    /// `RequestStreamSource.next()` does, or when the message does not decode.
    public func next() async throws -> Message? {
        guard let bytes = try await source.next() else { return nil }
        return try Message(wireBytes: bytes)
    }
}

/// Where a streaming handler's replies go; the transport implements it.
public protocol ResponseStreamSink: Sendable {
    /// Sends one serialized message; returns once the transport can take more (flow control).
    func write(_ message: [UInt8]) async throws
}

/// The typed writer a server-streaming handler receives.
public struct ResponseStream<Message: WireMessage>: Sendable {
    public let sink: any ResponseStreamSink

    public init(sink: any ResponseStreamSink) { self.sink = sink }

    /// Sends one reply; throws when the call has ended (cancelled, deadline, connection gone).
    public func write(_ message: Message) async throws {
        try await sink.write(message.wireBytes())
    }
}

/// A set of methods registered together, such as one protobuf service.
public protocol RPCService: Sendable {
    var methods: [MethodHandler] { get }
}

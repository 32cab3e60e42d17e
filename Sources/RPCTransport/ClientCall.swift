import NIOCore
import RPCCore

/// What a finished call produced: response headers, replies and trailers.
public struct RawResponse: Sendable {
    public var headers: Metadata
    public var messages: [[UInt8]]
    public var trailers: Metadata
}

/// One client call on a connection; confined to the connection's event loop.
// Unchecked: it crosses threads only to be scheduled back onto its connection's loop.
final class ClientCall: @unchecked Sendable {
    /// Where replies go as they arrive.
    enum Consumer {
        /// Unary: collect everything and complete once.
        case collect(EventLoopPromise<RawResponse>)
        /// Server streaming: each reply is yielded; the end or an error finishes the stream.
        case stream(yield: @Sendable (Result<[UInt8], RPCError>?) -> Void)
    }

    let path: String
    let metadata: Metadata
    let request: [UInt8]
    /// False for a bidirectional call: `request` is not sent, and the stream stays open for
    /// messages sent later until the caller half-closes it.
    let endsRequest: Bool
    let timeout: Duration?
    let consumer: Consumer
    var streamID: Int32?
    var deframer: MessageDeframer
    var responseHeaders: Metadata?
    var messages: [[UInt8]] = []
    var finished = false

    init(
        path: String, metadata: Metadata, request: [UInt8], endsRequest: Bool = true, timeout: Duration?,
        maxMessageLength: Int, consumer: Consumer
    ) {
        self.path = path
        self.metadata = metadata
        self.request = request
        self.endsRequest = endsRequest
        self.timeout = timeout
        self.consumer = consumer
        self.deframer = MessageDeframer(maxMessageLength: maxMessageLength)
    }

    /// Hands a reply to the consumer.
    func deliver(_ message: [UInt8]) {
        switch consumer {
        case .collect: messages.append(message)
        case .stream(let yield): yield(.success(message))
        }
    }

    /// Ends the call once: OK completes it, anything else fails it with the status.
    func complete(code: StatusCode, message: String, trailers: Metadata, unprocessed: Bool = false) {
        finish(code == .ok ? nil : RPCError(code, message, metadata: trailers, unprocessed: unprocessed), trailers: trailers)
    }

    func fail(_ error: RPCError) {
        finish(error, trailers: error.metadata)
    }

    private func finish(_ error: RPCError?, trailers: Metadata) {
        guard !finished else { return }
        finished = true
        switch consumer {
        case .collect(let promise):
            if let error {
                promise.fail(error)
            } else {
                promise.succeed(RawResponse(headers: responseHeaders ?? [:], messages: messages, trailers: trailers))
            }
        case .stream(let yield):
            yield(error.map { .failure($0) })
        }
    }
}

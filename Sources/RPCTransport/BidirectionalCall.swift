import NIOCore
import RPCCore

/// An open bidirectional-streaming call: send request messages while reading replies.
///
/// `send`, `finish` and `cancel` may be called from any task; they hop to the connection's
/// event loop and keep their order. Sends do not wait for the bytes to leave: the call is meant
/// for small control messages (watches, lease keep-alives), not bulk uploads.
public struct BidirectionalCall: Sendable {
    /// The replies; the stream ends with the call, throwing an `RPCError` unless its status is OK.
    public let responses: AsyncThrowingStream<[UInt8], any Error>
    private let loop: any EventLoop
    private let handler: NIOLoopBound<ClientConnectionHandler>
    private let call: ClientCall

    init(
        responses: AsyncThrowingStream<[UInt8], any Error>, loop: any EventLoop,
        handler: NIOLoopBound<ClientConnectionHandler>, call: ClientCall
    ) {
        self.responses = responses
        self.loop = loop
        self.handler = handler
        self.call = call
    }

    /// Sends one serialized request message; the stream stays open.
    public func send(_ message: [UInt8]) {
        run { handler, call in handler.send(message, on: call, end: false) }
    }

    /// Sends one request message; the stream stays open.
    public func send(_ message: some WireMessage) {
        send(message.wireBytes())
    }

    /// Half-closes the call (END_STREAM): no more requests, replies keep coming until the status.
    public func finish() {
        run { handler, call in handler.finishRequest(call) }
    }

    /// Ends the call at once (RST_STREAM); `responses` throws CANCELLED.
    public func cancel() {
        run { handler, call in
            handler.cancel(call, with: RPCError(.cancelled, "the caller cancelled \(call.path)"))
        }
    }

    private func run(_ body: @escaping @Sendable (ClientConnectionHandler, ClientCall) -> Void) {
        if loop.inEventLoop {
            body(handler.value, call)
        } else {
            let handler = handler
            let call = call
            loop.execute { body(handler.value, call) }
        }
    }
}

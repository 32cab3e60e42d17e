import NIOCore
import RPCCore

/// One gRPC call on a server connection (one HTTP/2 stream): its state machine and what the
/// machine does not hold, the handler's task, writers waiting for the queued body to drain, and
/// a bidirectional call's request messages waiting for the handler. Confined to the
/// connection's event loop.
final class ServerStream {
    let id: Int32
    let method: MethodHandler
    let context: ServerContext
    var machine: ServerStreamStateMachine
    /// The handler, once started (unless it finished without suspending).
    var task: Task<Void, Never>?
    /// Writers of a streaming handler waiting for the queued body to drain.
    var writeWaiters: [EventLoopPromise<Void>] = []
    /// A bidirectional call's requests; nil for other calls.
    let requests: ServerRequestQueue?

    init(id: Int32, method: MethodHandler, context: ServerContext, maxMessageLength: Int) {
        self.id = id
        self.method = method
        self.context = context
        self.machine = ServerStreamStateMachine(
            method: method.path, response: context.response, maxMessageLength: maxMessageLength)
        self.requests = method.kind == .bidirectionalStreaming ? ServerRequestQueue() : nil
    }

    /// Cancels the handler and fails its waiting writers and reader: the call has ended.
    func finish() {
        task?.cancel()
        task = nil
        let waiters = writeWaiters
        writeWaiters = []
        for waiter in waiters { waiter.fail(RPCError(.cancelled, "the call has ended")) }
        requests?.finish()
    }
}

/// A bidirectional call's request messages between their arrival and the handler's read.
///
/// The bytes it holds decide the stream's flow-control window: while more than `highWater` bytes
/// wait unread, the connection stops acknowledging the stream's DATA, so the caller's window
/// closes and memory stays bounded (queued messages, plus at most one window of bytes in flight).
final class ServerRequestQueue {
    /// Unread message bytes above which the stream's window is no longer reopened.
    static let highWater = 64 * 1024

    private var messages = CircularBuffer<[UInt8]>()
    private(set) var queuedBytes = 0
    private var ended = false
    private var failure: RPCError?
    private var reader: EventLoopPromise<[UInt8]?>?

    /// True while the stream's window may be reopened.
    var hasRoom: Bool { queuedBytes < Self.highWater }

    /// Messages arrived; a waiting reader takes the first at once.
    func deliver(_ arrived: [[UInt8]], ended: Bool) {
        for message in arrived {
            messages.append(message)
            queuedBytes += message.count
        }
        if ended { self.ended = true }
        if let reader = reader.take() { hand(to: reader) }
    }

    /// The next message (nil at the end of the requests), now or once it arrives.
    func next(on loop: any EventLoop) -> EventLoopFuture<[UInt8]?> {
        guard reader == nil else {
            return loop.makeFailedFuture(RPCError(.internal, "a request stream has one reader at a time"))
        }
        let promise = loop.makePromise(of: [UInt8]?.self)
        hand(to: promise)
        return promise.futureResult
    }

    /// The call ended: the reader, now and later, gets CANCELLED.
    func finish() {
        messages.removeAll()
        queuedBytes = 0
        if failure == nil { failure = RPCError(.cancelled, "the call has ended") }
        reader.take()?.fail(failure!)
    }

    private func hand(to promise: EventLoopPromise<[UInt8]?>) {
        if let failure {
            promise.fail(failure)
        } else if let message = messages.popFirst() {
            queuedBytes -= message.count
            promise.succeed(message)
        } else if ended {
            promise.succeed(nil)
        } else {
            reader = promise
        }
    }
}

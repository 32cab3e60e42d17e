import NIOCore
import RPCCore

/// The server's state for one gRPC call (one HTTP/2 stream).
final class ServerStream {
    enum Phase {
        /// Collecting the request message.
        case receiving
        /// The handler task is running.
        case running(Task<Void, Never>)
        /// The status was sent (or the stream was reset); late results are dropped.
        case finished
    }

    let id: Int32
    let method: MethodHandler
    let context: ServerContext
    var deframer: MessageDeframer
    var request: [UInt8]?
    var phase = Phase.receiving
    var headersSent = false
    var requestEnded = false
    /// Writers of a streaming handler waiting for the queued body to drain.
    var writeWaiters: [EventLoopPromise<Void>] = []

    init(id: Int32, method: MethodHandler, context: ServerContext, maxMessageLength: Int) {
        self.id = id
        self.method = method
        self.context = context
        self.deframer = MessageDeframer(maxMessageLength: maxMessageLength)
    }

    var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    /// Moves to `.finished`, cancelling the handler.
    func finish() {
        if case .running(let task) = phase { task.cancel() }
        phase = .finished
        failWriters()
    }

    func failWriters() {
        let waiters = writeWaiters
        writeWaiters = []
        for waiter in waiters { waiter.fail(RPCError(.cancelled, "the call has ended")) }
    }
}

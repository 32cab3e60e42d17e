import NIOCore
import RPCCore

/// One gRPC call on a server connection (one HTTP/2 stream): its state machine and what the
/// machine does not hold, the handler's task and writers waiting for the queued body to drain.
/// Confined to the connection's event loop.
final class ServerStream {
    let id: Int32
    let method: MethodHandler
    let context: ServerContext
    var machine: ServerStreamStateMachine
    /// The handler, once started (unless it finished without suspending).
    var task: Task<Void, Never>?
    /// Writers of a streaming handler waiting for the queued body to drain.
    var writeWaiters: [EventLoopPromise<Void>] = []

    init(id: Int32, method: MethodHandler, context: ServerContext, maxMessageLength: Int) {
        self.id = id
        self.method = method
        self.context = context
        self.machine = ServerStreamStateMachine(
            method: method.path, response: context.response, maxMessageLength: maxMessageLength)
    }

    /// Cancels the handler and fails its waiting writers: the call has ended.
    func finish() {
        task?.cancel()
        task = nil
        let waiters = writeWaiters
        writeWaiters = []
        for waiter in waiters { waiter.fail(RPCError(.cancelled, "the call has ended")) }
    }
}

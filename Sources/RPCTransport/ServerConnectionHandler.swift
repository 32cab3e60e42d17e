import CNGHTTP2
import Logging
import NIOCore
import RPCCore

/// Asks a server connection to drain: GOAWAY, finish in-flight calls, then close.
struct GracefulShutdownEvent: Sendable {}

/// Serves gRPC on one HTTP/2 connection: owns the nghttp2 session, turns streams into calls,
/// runs handlers as tasks and writes their replies and statuses.
final class ServerConnectionHandler: ChannelInboundHandler, HTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case active
        /// Shutdown notice sent; waiting for a PING round trip before the final GOAWAY.
        case noticeSent
        /// The PING came back; the final GOAWAY goes out once the current read is processed, so
        /// it counts every stream that read opened.
        case goAwayDue
        /// Final GOAWAY sent; closing once the last stream ends.
        case draining
        case closed
    }

    private let methods: [String: MethodHandler]
    private let hasBidirectionalMethods: Bool
    private let configuration: ServerConfiguration
    private let logger: Logger
    private var session: HTTP2Session?
    private var context: ChannelHandlerContext?
    private var streams: [Int32: ServerStream] = [:]
    private var state = State.active
    /// Writes the session's output; made when the session starts.
    private var output: SessionOutput?
    private var peer = "unknown"
    private var keepaliveTimer: RepeatedTask?
    /// Expires calls that carry a `grpc-timeout`; made when the session starts.
    private var deadlines: CallDeadlines?
    private var pingTimeout: Scheduled<Void>?
    /// Streams whose writers wait for their queued body to drain.
    private var streamsWithWaiters: Set<Int32> = []
    /// Handlers run on this connection's event loop unless they hop elsewhere themselves.
    private var executor: EventLoopTaskExecutor?

    /// Queued body bytes above which a streaming handler's next write waits.
    private static let writeHighWater = 1 << 20

    /// Told about calls answered before any handler ran (the method path, nil when unknown).
    private let refusedCall: RPCServer.RefusedCallObserver?

    init(
        methods: [String: MethodHandler], configuration: ServerConfiguration, logger: Logger,
        refusedCall: RPCServer.RefusedCallObserver? = nil
    ) {
        self.methods = methods
        self.hasBidirectionalMethods = methods.values.contains { $0.kind == .bidirectionalStreaming }
        self.configuration = configuration
        self.logger = logger
        self.refusedCall = refusedCall
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard session == nil else { return }
        peer = context.channel.remoteAddress.map { "\($0)" } ?? "unknown"
        executor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        deadlines = CallDeadlines(loop: context.eventLoop) { [weak self] id in self?.deadlineExpired(stream: id) }
        let limits = configuration.limits
        do {
            let session = try HTTP2Session(
                role: .server,
                settings: .init(
                    maxConcurrentStreams: limits.maxConcurrentStreams,
                    initialWindowSize: limits.initialWindowSize,
                    maxHeaderListSize: limits.maxHeaderListSize,
                    // Only bidirectional calls hold their windows back; a server without them
                    // leaves window updates to nghttp2.
                    acknowledgesData: hasBidirectionalMethods))
            session.delegate = self
            self.session = session
            output = SessionOutput(session: session, context: context) { [weak self] in self?.flushOutput() }
        } catch {
            logger.error("could not create an HTTP/2 session", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        let keepalive = configuration.keepalive
        keepaliveTimer = context.eventLoop.scheduleRepeatedTask(
            initialDelay: keepalive.interval, delay: keepalive.interval
        ) { [loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)] _ in
            loopBound.value.sendKeepalivePing()
        }
        flushOutput()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, state != .closed else { return }
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { try session.receive($0) }
        } catch {
            // Bad preface, malformed frames, flow-control violations: nghttp2 has queued a
            // GOAWAY where the protocol allows one; send it and drop the connection.
            logger.debug("closing connection after a protocol error", metadata: ["peer": "\(peer)", "error": "\(error)"])
            flushOutput()
            close()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushOutput()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { flushOutput() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        keepaliveTimer?.cancel()
        pingTimeout?.cancel()
        for stream in streams.values { stream.finish() }
        streams.removeAll()
        deadlines?.removeAll()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is GracefulShutdownEvent {
            beginGracefulShutdown()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["peer": "\(peer)", "error": "\(error)"])
        close()
    }

    // MARK: Session events

    func session(_ session: HTTP2Session, headers: HeaderList, stream id: Int32, endStream: Bool) {
        if let stream = streams[id] {
            // Request trailers: allowed, carry nothing we use.
            if endStream { perform(stream.machine.requestEnded(), on: stream) }
            return
        }
        let request = RequestHead(headers)
        let method = methods[request.path]
        if let (error, httpStatus) = request.rejection(knownMethod: method != nil) {
            refusedCall?(method?.path, error.code)
            reject(stream: id, error, httpStatus: httpStatus, requestEnded: endStream)
            return
        }
        guard let method else { return }
        var deadline: ContinuousClock.Instant?
        if let nanos = request.timeoutNanoseconds, nanos < Self.longestDeadlineNanoseconds {
            deadline = .now + .nanoseconds(nanos)
        }
        let bidirectional = method.kind == .bidirectionalStreaming
        let context = ServerContext(
            method: request.path, metadata: request.metadata, deadline: deadline, peer: peer,
            requests: bidirectional ? requestSource(stream: id) : nil)
        let stream = ServerStream(
            id: id, method: method, context: context, maxMessageLength: configuration.limits.maxReceiveMessageLength)
        streams[id] = stream
        if let nanos = request.timeoutNanoseconds, deadline != nil { deadlines?.set(id, in: nanos) }
        if bidirectional {
            session.holdWindow(stream: id)
            perform(stream.machine.bidirectionalCallStarted(), on: stream)
        }
        if endStream { perform(stream.machine.requestEnded(), on: stream) }
    }

    func session(_ session: HTTP2Session, headerListTooLargeOn stream: Int32, endStream: Bool) {
        if let existing = streams[stream] {
            perform(existing.machine.trailersTooLarge(limit: configuration.limits.maxHeaderListSize), on: existing)
            return
        }
        refusedCall?(nil, .resourceExhausted)
        reject(
            stream: stream,
            RPCError(.resourceExhausted, "request headers exceed the limit of \(configuration.limits.maxHeaderListSize) bytes"),
            requestEnded: endStream)
    }

    func session(_ session: HTTP2Session, data: UnsafeRawBufferPointer, stream id: Int32) {
        if let stream = streams[id] { perform(stream.machine.receivedData(data), on: stream) }
    }

    func session(_ session: HTTP2Session, endOfDataOn id: Int32) {
        if let stream = streams[id] { perform(stream.machine.requestEnded(), on: stream) }
    }

    func session(_ session: HTTP2Session, closed id: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        streamsWithWaiters.remove(id)
        deadlines?.remove(id)
        if case .cancelHandler = stream.machine.streamClosed(), errorCode != 0 {
            logger.debug(
                "client reset the stream; cancelling its handler",
                metadata: ["method": "\(stream.method.path)", "stream": "\(id)"])
        }
        stream.finish()
        closeIfDrained()
    }

    func session(_ session: HTTP2Session, goAwayWithLastStream lastStreamID: Int32, errorCode: UInt32) {}

    func sessionReceivedPingAck(_ session: HTTP2Session) {
        pingTimeout?.cancel()
        pingTimeout = nil
        if state == .noticeSent {
            state = .goAwayDue
            output?.schedule()
        }
    }

    // MARK: Calls

    private static let longestDeadlineNanoseconds: Int64 = 365 * 24 * 3_600 * 1_000_000_000

    /// Does what a stream's state machine asked for.
    private func perform(_ action: ServerStreamStateMachine.Action, on stream: ServerStream) {
        switch action {
        case .none, .rejectWrite:
            break
        case .startHandler(let request):
            run(stream, request: request)
        case .deliverRequests(let messages, let ended):
            stream.requests?.deliver(messages, ended: ended)
            reopenWindowIfRoom(stream)
        case .sendMessage(let message, let headers):
            // write(_:stream:) sends its own, as it needs the queued byte count.
            _ = send(message, headers: headers, on: stream)
        case .close(let ending, let resetRequest, let refused):
            if let refused { refusedCall?(stream.method.path, refused) }
            if let session {
                switch ending {
                case .trailersOnly(let headers):
                    session.submitResponse(stream: stream.id, headers: headers, endStream: true)
                case .body(let headers, let reply, let trailers):
                    if let headers { session.submitResponse(stream: stream.id, headers: headers, endStream: false) }
                    if let reply {
                        session.enqueueMessage(stream: stream.id, reply, end: true, trailers: trailers)
                    } else {
                        session.enqueue(stream: stream.id, bytes: [], end: true, trailers: trailers)
                    }
                }
                if resetRequest { session.resetAfterResponse(stream: stream.id) }
            }
            stream.finish()
            output?.schedule()
        case .cancelHandler:
            stream.finish()
        }
    }

    private func run(_ stream: ServerStream, request: [UInt8]) {
        guard let loop = context?.eventLoop, let executor else { return }
        let loopBound = NIOLoopBound(self, eventLoop: loop)
        let method = stream.method
        // Only streaming handlers write through a sink; unary ones return their reply.
        let sink: any ResponseStreamSink =
            method.kind == .unary ? UnaryCallSink.shared : StreamSink(connection: loopBound, stream: stream.id)
        let context = stream.context
        let id = stream.id
        // Starts inline: a handler that does not suspend answers within this read, with no hop.
        let task = Task.immediate(executorPreference: executor) {
            let outcome: Result<[UInt8]?, any Error>
            do {
                outcome = .success(try await method.run(request, context, sink))
            } catch {
                outcome = .failure(error)
            }
            if loop.inEventLoop {
                loopBound.value.handlerFinished(stream: id, outcome: outcome)
            } else {
                loop.execute { loopBound.value.handlerFinished(stream: id, outcome: outcome) }
            }
        }
        // A handler that never suspends has already finished (immediate tasks start inline).
        if !stream.machine.isFinished { stream.task = task }
    }

    private func handlerFinished(stream id: Int32, outcome: Result<[UInt8]?, any Error>) {
        guard let stream = streams[id] else { return }
        switch outcome {
        case .success(let reply): perform(stream.machine.handlerReturned(reply), on: stream)
        case .failure(let error): perform(stream.machine.handlerFailed(error), on: stream)
        }
    }

    /// Answers a stream that never became a call (bad headers, unknown method).
    private func reject(stream id: Int32, _ error: RPCError, httpStatus: Int = 200, requestEnded: Bool) {
        guard let session else { return }
        var headers = ResponseHeaderLists.trailersOnly(headers: [:], error.code, error.message, error.metadata)
        headers[0].value = String(httpStatus)
        session.submitResponse(stream: id, headers: headers, endStream: true)
        if !requestEnded { session.resetAfterResponse(stream: id) }
        output?.schedule()
    }

    private func deadlineExpired(stream id: Int32) {
        if let stream = streams[id] { perform(stream.machine.deadlineExpired(), on: stream) }
    }

    /// Where a bidirectional handler reads its requests: through this connection's event loop.
    private func requestSource(stream id: Int32) -> (any RequestStreamSource)? {
        guard let loop = context?.eventLoop else { return nil }
        return StreamRequestSource(connection: NIOLoopBound(self, eventLoop: loop), stream: id)
    }

    /// The handler's next request message; taking one may reopen the stream's window.
    fileprivate func nextRequest(stream id: Int32) -> EventLoopFuture<[UInt8]?> {
        let loop = context!.eventLoop
        guard let stream = streams[id], let requests = stream.requests else {
            return loop.makeFailedFuture(RPCError(.cancelled, "the call has ended"))
        }
        let message = requests.next(on: loop)
        reopenWindowIfRoom(stream)
        return message
    }

    /// Acknowledges a bidirectional stream's received bytes while few enough wait unread, so
    /// the caller can send only as fast as the handler reads.
    private func reopenWindowIfRoom(_ stream: ServerStream) {
        guard let session, let requests = stream.requests, requests.hasRoom, session.heldBytes(stream: stream.id) > 0
        else { return }
        session.releaseWindow(stream: stream.id)
        output?.schedule()
    }

    /// Queues one streamed reply; the future completes when the handler may write again.
    fileprivate func write(_ message: [UInt8], stream id: Int32) -> EventLoopFuture<Void> {
        let loop = context!.eventLoop
        guard let stream = streams[id], case .sendMessage(let message, let headers) = stream.machine.handlerWrites(message),
            let pending = send(message, headers: headers, on: stream)
        else {
            return loop.makeFailedFuture(RPCError(.cancelled, "the call has ended"))
        }
        guard pending > Self.writeHighWater else { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        stream.writeWaiters.append(promise)
        streamsWithWaiters.insert(id)
        return promise.futureResult
    }

    /// Queues a streamed reply after `headers` if any; returns the stream's queued bytes.
    private func send(_ message: [UInt8], headers: HeaderList?, on stream: ServerStream) -> Int? {
        guard let session else { return nil }
        if let headers { session.submitResponse(stream: stream.id, headers: headers, endStream: false) }
        let pending = session.enqueueMessage(stream: stream.id, message)
        output?.schedule()
        return pending
    }

    // MARK: Output, keepalive and shutdown

    private func flushOutput() {
        guard let session, let output, state != .closed else { return }
        if state == .goAwayDue {
            state = .draining
            session.submitGoAway()
        }
        do {
            // Stops while the socket takes no bytes; channelWritabilityChanged resumes.
            try output.write()
        } catch {
            logger.debug("HTTP/2 send failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            close()
            return
        }
        releaseWaiters()
        if session.isFinished { close() }
    }

    private func releaseWaiters() {
        guard !streamsWithWaiters.isEmpty, let session else { return }
        for id in streamsWithWaiters where session.pendingBytes(stream: id) <= Self.writeHighWater {
            streamsWithWaiters.remove(id)
            if let stream = streams[id] {
                let waiters = stream.writeWaiters
                stream.writeWaiters = []
                for waiter in waiters { waiter.succeed() }
            }
        }
    }

    private func sendKeepalivePing() {
        guard let session, let loop = context?.eventLoop, pingTimeout == nil else { return }
        session.submitPing()
        pingTimeout = loop.scheduleTask(in: configuration.keepalive.timeout) {
            [loopBound = NIOLoopBound(self, eventLoop: loop)] in
            loopBound.value.logger.debug(
                "keepalive PING unanswered; closing connection", metadata: ["peer": "\(loopBound.value.peer)"])
            loopBound.value.close()
        }
        flushOutput()
    }

    private func beginGracefulShutdown() {
        guard state == .active, let session else { return }
        state = .noticeSent
        session.submitShutdownNotice()
        // The PING's acknowledgement proves the client has seen the notice; then the final
        // GOAWAY names the last stream we will serve.
        pingTimeout?.cancel()
        pingTimeout = nil
        session.submitPing()
        flushOutput()
    }

    private func closeIfDrained() {
        if state == .draining, streams.isEmpty { output?.schedule() }
    }

    private func close() {
        guard state != .closed, let context else { return }
        state = .closed
        context.close(promise: nil)
    }
}

/// The sink handed to unary handlers, which return their reply instead of writing it.
private final class UnaryCallSink: ResponseStreamSink {
    static let shared = UnaryCallSink()

    func write(_ message: [UInt8]) async throws {
        throw RPCError(.internal, "a unary handler cannot stream replies")
    }
}

/// Lets a streaming handler's task write replies through the connection's event loop.
private struct StreamSink: ResponseStreamSink {
    let connection: NIOLoopBound<ServerConnectionHandler>
    let stream: Int32

    func write(_ message: [UInt8]) async throws {
        let connection = self.connection
        let stream = self.stream
        try await connection.eventLoop.flatSubmit {
            connection.value.write(message, stream: stream)
        }.get()
    }
}

/// Lets a bidirectional handler's task read requests through the connection's event loop.
private struct StreamRequestSource: RequestStreamSource {
    let connection: NIOLoopBound<ServerConnectionHandler>
    let stream: Int32

    func next() async throws -> [UInt8]? {
        let connection = self.connection
        let stream = self.stream
        return try await connection.eventLoop.flatSubmit {
            connection.value.nextRequest(stream: stream)
        }.get()
    }
}

@available(*, unavailable)
extension ServerConnectionHandler: Sendable {}

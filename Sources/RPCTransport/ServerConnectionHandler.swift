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
                    maxHeaderListSize: limits.maxHeaderListSize))
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
            if endStream { requestEnded(stream) }
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
        let context = ServerContext(method: request.path, metadata: request.metadata, deadline: deadline, peer: peer)
        let stream = ServerStream(
            id: id, method: method, context: context, maxMessageLength: configuration.limits.maxReceiveMessageLength)
        streams[id] = stream
        if let nanos = request.timeoutNanoseconds, deadline != nil { deadlines?.set(id, in: nanos) }
        if endStream { requestEnded(stream) }
    }

    func session(_ session: HTTP2Session, headerListTooLargeOn stream: Int32, endStream: Bool) {
        if let existing = streams[stream] {
            refuse(existing, RPCError(.resourceExhausted, "request trailers exceed \(configuration.limits.maxHeaderListSize) bytes"))
            return
        }
        refusedCall?(nil, .resourceExhausted)
        reject(
            stream: stream,
            RPCError(.resourceExhausted, "request headers exceed the limit of \(configuration.limits.maxHeaderListSize) bytes"),
            requestEnded: endStream)
    }

    func session(_ session: HTTP2Session, data: UnsafeRawBufferPointer, stream id: Int32) {
        guard let stream = streams[id], case .receiving = stream.phase else { return }
        do {
            try stream.deframer.append(data) { message throws(RPCError) in
                guard stream.request == nil else {
                    throw RPCError(.internal, "\(stream.method.path) takes one request message; received more")
                }
                stream.request = message
            }
        } catch {
            refuse(stream, RPCError(from: error))
        }
    }

    func session(_ session: HTTP2Session, endOfDataOn id: Int32) {
        if let stream = streams[id] { requestEnded(stream) }
    }

    func session(_ session: HTTP2Session, closed id: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        streamsWithWaiters.remove(id)
        deadlines?.remove(id)
        if !stream.isFinished, errorCode != 0 {
            logger.debug("client reset the stream; cancelling its handler", metadata: ["method": "\(stream.method.path)", "stream": "\(id)"])
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

    private func requestEnded(_ stream: ServerStream) {
        stream.requestEnded = true
        guard case .receiving = stream.phase else { return }
        if stream.deframer.hasPartialMessage {
            refuse(stream, RPCError(.internal, "the request ended inside a message (truncated length-prefixed message)"))
            return
        }
        guard let request = stream.request else {
            refuse(stream, RPCError(.internal, "the request ended without a message"))
            return
        }
        stream.request = nil
        run(stream, request: request)
    }

    private func run(_ stream: ServerStream, request: [UInt8]) {
        guard let loop = context?.eventLoop, let executor else { return }
        let loopBound = NIOLoopBound(self, eventLoop: loop)
        let method = stream.method
        // Only streaming handlers write through a sink; unary ones return their reply.
        let sink: any ResponseStreamSink =
            method.kind == .serverStreaming ? StreamSink(connection: loopBound, stream: stream.id) : UnaryCallSink.shared
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
        if case .receiving = stream.phase { stream.phase = .running(task) }
    }

    private func handlerFinished(stream id: Int32, outcome: Result<[UInt8]?, any Error>) {
        guard let stream = streams[id], !stream.isFinished else { return }
        switch outcome {
        case .success(let reply):
            let trailers = stream.context.response.trailers
            if let reply {
                sendHeadersIfNeeded(stream)
                session?.enqueueMessage(stream: id, reply, end: true, trailers: Self.statusTrailers(.ok, "", trailers))
            } else {
                finishWithStatus(stream, code: .ok, message: "", trailers: trailers)
            }
            stream.finish()
            resetIfRequestStillOpen(stream)
            output?.schedule()
        case .failure(let error):
            fail(stream, error)
        }
    }

    /// Ends a call whose handler never started, and reports it.
    private func refuse(_ stream: ServerStream, _ error: RPCError) {
        guard !stream.isFinished else { return }
        refusedCall?(stream.method.path, error.code)
        fail(stream, error)
    }

    /// Ends a call with an error status (Trailers-Only when nothing was sent yet).
    private func fail(_ stream: ServerStream, _ error: any Error) {
        guard !stream.isFinished else { return }
        let rpcError = RPCError(from: error)
        var trailers = stream.context.response.trailers
        for (name, value) in rpcError.metadata { trailers.add(name, value) }
        finishWithStatus(stream, code: rpcError.code, message: rpcError.message, trailers: trailers)
        stream.finish()
        resetIfRequestStillOpen(stream)
        output?.schedule()
    }

    private func finishWithStatus(_ stream: ServerStream, code: StatusCode, message: String, trailers: Metadata) {
        guard let session else { return }
        if stream.headersSent {
            session.enqueue(stream: stream.id, bytes: [], end: true, trailers: Self.statusTrailers(code, message, trailers))
        } else {
            stream.headersSent = true
            var headers = Self.responseHeaders(stream.context.response.headers)
            headers += Self.statusTrailers(code, message, trailers)
            session.submitResponse(stream: stream.id, headers: headers, endStream: true)
        }
    }

    /// A client still uploading after we answered is told to stop (RST_STREAM NO_ERROR), as
    /// HTTP/2 allows once the response is complete.
    private func resetIfRequestStillOpen(_ stream: ServerStream) {
        if !stream.requestEnded { session?.resetAfterResponse(stream: stream.id) }
    }

    /// Answers a stream that never became a call (bad headers, unknown method).
    private func reject(stream id: Int32, _ error: RPCError, httpStatus: Int = 200, requestEnded: Bool) {
        guard let session else { return }
        var headers = Self.responseHeaders([:])
        headers[0].value = String(httpStatus)
        headers += Self.statusTrailers(error.code, error.message, error.metadata)
        session.submitResponse(stream: id, headers: headers, endStream: true)
        if !requestEnded { session.resetAfterResponse(stream: id) }
        output?.schedule()
    }

    private func deadlineExpired(stream id: Int32) {
        guard let stream = streams[id], !stream.isFinished else { return }
        let error = RPCError(.deadlineExceeded, "deadline exceeded while serving \(stream.method.path)")
        if case .receiving = stream.phase {
            refuse(stream, error)
        } else {
            fail(stream, error)
        }
    }

    private func sendHeadersIfNeeded(_ stream: ServerStream) {
        guard !stream.headersSent, let session else { return }
        stream.headersSent = true
        session.submitResponse(stream: stream.id, headers: Self.responseHeaders(stream.context.response.headers), endStream: false)
    }

    /// Queues one streamed reply; the future completes when the handler may write again.
    fileprivate func write(_ message: [UInt8], stream id: Int32) -> EventLoopFuture<Void> {
        let loop = context!.eventLoop
        guard let stream = streams[id], !stream.isFinished, let session else {
            return loop.makeFailedFuture(RPCError(.cancelled, "the call has ended"))
        }
        sendHeadersIfNeeded(stream)
        let pending = session.enqueueMessage(stream: id, message)
        output?.schedule()
        guard pending > Self.writeHighWater else { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        stream.writeWaiters.append(promise)
        streamsWithWaiters.insert(id)
        return promise.futureResult
    }

    private static let plainResponseHeaders: HeaderList = [
        HeaderField(":status", "200"), HeaderField("content-type", "application/grpc"),
    ]
    private static let okTrailers: HeaderList = [HeaderField("grpc-status", "0")]

    private static func responseHeaders(_ custom: Metadata) -> HeaderList {
        if custom.isEmpty { return plainResponseHeaders }
        var headers = plainResponseHeaders
        // Room for the custom fields and a Trailers-Only status, so one allocation.
        headers.reserveCapacity(headers.count + custom.count + 3)
        for (name, value) in custom { headers.append(HeaderField(name, value)) }
        return headers
    }

    private static func statusTrailers(_ code: StatusCode, _ message: String, _ custom: Metadata) -> HeaderList {
        if code == .ok, message.isEmpty, custom.isEmpty { return okTrailers }
        var trailers: HeaderList = [HeaderField("grpc-status", String(code.rawValue))]
        if !message.isEmpty { trailers.append(HeaderField("grpc-message", PercentEncoding.encode(message))) }
        for (name, value) in custom { trailers.append(HeaderField(name, value)) }
        return trailers
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
        pingTimeout = loop.scheduleTask(in: configuration.keepalive.timeout) { [loopBound = NIOLoopBound(self, eventLoop: loop)] in
            loopBound.value.logger.debug("keepalive PING unanswered; closing connection", metadata: ["peer": "\(loopBound.value.peer)"])
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

@available(*, unavailable)
extension ServerConnectionHandler: Sendable {}

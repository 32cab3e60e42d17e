import JSONEscaping
import Logging
import NIOCore

/// One plain (not gRPC) HTTP/2 request, read whole: what `PlainHTTP2ServerHandler` hands its
/// responder.
public struct PlainHTTPRequest: Sendable {
    public var method: String
    public var path: String
    public var authority: String
    public var scheme: String
    /// Regular header fields in order, names lower case.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(
        method: String, path: String, authority: String, scheme: String, headers: [(name: String, value: String)],
        body: [UInt8]
    ) {
        self.method = method
        self.path = path
        self.authority = authority
        self.scheme = scheme
        self.headers = headers
        self.body = body
    }
}

/// Answers one plain HTTP request (over HTTP/2 here, or HTTP/1.1 in the REST front).
public typealias PlainHTTPResponder = @Sendable (PlainHTTPRequest) async -> PlainHTTPResponse

/// The answer to a `PlainHTTPRequest`.
public struct PlainHTTPResponse: Sendable {
    public var status: Int
    /// Regular header fields (no pseudo-headers, no connection-specific fields).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Serves ordinary HTTP/2 request/response exchanges (the REST front's HTTP/2) on libnghttp2,
/// the same HTTP/2 implementation as the gRPC port: each stream's headers and body are read
/// (the body within `maxBodyBytes`, refused with 413 before more is buffered) and answered by
/// `respond`, run as a task per request.
public final class PlainHTTP2ServerHandler: ChannelInboundHandler, HTTP2SessionDelegate {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// A request being read.
    private struct Incoming {
        var request: PlainHTTPRequest
        var refused = false
    }

    private let maxBodyBytes: Int
    private let maxHeaderListSize: Int
    private let respond: PlainHTTPResponder
    private let logger: Logger
    private var session: HTTP2Session?
    private var output: SessionOutput?
    private var context: ChannelHandlerContext?
    private var incoming: [Int32: Incoming] = [:]
    /// Requests read and not answered yet, and the tasks of those still running.
    private var awaitingAnswer: Set<Int32> = []
    private var running: [Int32: Task<Void, Never>] = [:]
    private var closed = false
    /// Requests run on this connection's event loop until they suspend.
    private var executor: EventLoopTaskExecutor?
    /// The client sent FIN, or the server is shutting down (GOAWAY sent): close once the
    /// requests already read are answered.
    private var closingWhenIdle = false

    public init(maxBodyBytes: Int, maxHeaderListSize: Int = 16_384, logger: Logger, respond: @escaping PlainHTTPResponder) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderListSize = maxHeaderListSize
        self.logger = logger
        self.respond = respond
    }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        executor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard session == nil else { return }
        do {
            let session = try HTTP2Session(role: .server, settings: .init(maxHeaderListSize: maxHeaderListSize))
            session.delegate = self
            self.session = session
            output = SessionOutput(session: session, context: context) { [weak self] in self?.flushOutput() }
        } catch {
            logger.error("could not create an HTTP/2 session", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        flushOutput()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !closed else { return }
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { try session.receive($0) }
        } catch {
            logger.debug("closing HTTP/2 connection after a protocol error", metadata: ["error": "\(error)"])
            flushOutput()
            close()
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        flushOutput()
        context.fireChannelReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { flushOutput() }
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        closed = true
        for task in running.values { task.cancel() }
        running.removeAll()
        awaitingAnswer.removeAll()
        incoming.removeAll()
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            session?.submitGoAway()
            closingWhenIdle = true
            flushOutput()
        } else if case .inputClosed? = event as? ChannelEvent {
            closingWhenIdle = true
            flushOutput()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP/2 connection error", metadata: ["error": "\(error)"])
        close()
    }

    // MARK: Session events

    func session(_ session: HTTP2Session, headers: HeaderList, stream id: Int32, endStream: Bool) {
        guard incoming[id] == nil, !awaitingAnswer.contains(id) else {
            if endStream { requestEnded(id) }  // Trailers: nothing in them is used.
            return
        }
        var request = PlainHTTPRequest(method: "", path: "", authority: "", scheme: "", headers: [], body: [])
        var declaredLength: Int?
        for field in headers {
            switch field.name {
            case ":method": request.method = field.value
            case ":path": request.path = field.value
            case ":authority": request.authority = field.value
            case ":scheme": request.scheme = field.value
            default:
                if field.name == "content-length" { declaredLength = Int(field.value) }
                request.headers.append((field.name, field.value))
            }
        }
        incoming[id] = Incoming(request: request)
        if let declaredLength, declaredLength > maxBodyBytes {
            refuseTooLarge(id, endStream: endStream, size: "of \(declaredLength) bytes ")
            return
        }
        if endStream { requestEnded(id) }
    }

    func session(_ session: HTTP2Session, headerListTooLargeOn stream: Int32, endStream: Bool) {
        guard incoming[stream] == nil, !awaitingAnswer.contains(stream) else { return }
        incoming[stream] = Incoming(
            request: PlainHTTPRequest(method: "", path: "", authority: "", scheme: "", headers: [], body: []))
        incoming[stream]?.refused = true
        answer(
            stream,
            Self.error(431, "the request headers are larger than the limit of \(maxHeaderListSize) bytes"),
            endOfRequest: endStream)
    }

    func session(_ session: HTTP2Session, data: UnsafeRawBufferPointer, stream id: Int32) {
        guard var entry = incoming[id], !entry.refused else { return }
        guard entry.request.body.count + data.count <= maxBodyBytes else {
            refuseTooLarge(id, endStream: false, size: "")
            return
        }
        incoming[id] = nil  // Keeps the body uniquely referenced while it grows.
        entry.request.body.append(contentsOf: data)
        incoming[id] = entry
    }

    func session(_ session: HTTP2Session, endOfDataOn id: Int32) {
        requestEnded(id)
    }

    func session(_ session: HTTP2Session, closed id: Int32, errorCode: UInt32) {
        incoming[id] = nil
        awaitingAnswer.remove(id)
        running.removeValue(forKey: id)?.cancel()
    }

    func session(_ session: HTTP2Session, goAwayWithLastStream lastStreamID: Int32, errorCode: UInt32) {}

    func sessionReceivedPingAck(_ session: HTTP2Session) {}

    // MARK: Requests

    private func requestEnded(_ id: Int32) {
        guard let entry = incoming.removeValue(forKey: id), !entry.refused, let loop = context?.eventLoop else { return }
        let respond = self.respond
        let loopBound = NIOLoopBound(self, eventLoop: loop)
        awaitingAnswer.insert(id)
        // Starts inline: a request that never suspends is answered within this read.
        let task = Task.immediate(executorPreference: executor) {
            let response = await respond(entry.request)
            if loop.inEventLoop {
                loopBound.value.finished(id, response)
            } else {
                loop.execute { loopBound.value.finished(id, response) }
            }
        }
        if awaitingAnswer.contains(id) { running[id] = task }
    }

    private func finished(_ id: Int32, _ response: PlainHTTPResponse) {
        running[id] = nil
        guard awaitingAnswer.remove(id) != nil else { return }
        answer(id, response, endOfRequest: true)
    }

    private func refuseTooLarge(_ id: Int32, endStream: Bool, size: String) {
        incoming[id]?.refused = true
        answer(
            id, Self.error(413, "the request body \(size)is larger than the limit of \(maxBodyBytes) bytes"),
            endOfRequest: endStream)
    }

    private func answer(_ id: Int32, _ response: PlainHTTPResponse, endOfRequest: Bool) {
        guard let session, !closed else { return }
        var headers: HeaderList = [HeaderField(":status", String(response.status))]
        for (name, value) in response.headers where !Self.connectionSpecific.contains(name.lowercased()) {
            headers.append(HeaderField(name.lowercased(), value))
        }
        headers.append(HeaderField("content-length", String(response.body.count)))
        if response.body.isEmpty {
            session.submitResponse(stream: id, headers: headers, endStream: true)
        } else {
            session.submitResponse(stream: id, headers: headers, endStream: false)
            _ = session.enqueue(stream: id, bytes: response.body, end: true)
        }
        // A client still uploading a refused body is told to stop once the answer is out.
        if !endOfRequest { session.resetAfterResponse(stream: id) }
        output?.schedule()
    }

    /// Fields HTTP/2 forbids (RFC 9113 8.2.2), and content-length, which is set from the body.
    private static let connectionSpecific: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length",
    ]

    private static func error(_ status: Int, _ message: String) -> PlainHTTPResponse {
        PlainHTTPResponse(
            status: status, headers: [("content-type", "application/json")],
            body: Array("{\"error\":\(JSONString.quoted(message))}".utf8))
    }

    // MARK: Output

    private func flushOutput() {
        guard let session, let output, !closed else { return }
        do {
            try output.write()
        } catch {
            logger.debug("HTTP/2 send failed", metadata: ["error": "\(error)"])
            close()
            return
        }
        if session.isFinished || (closingWhenIdle && awaitingAnswer.isEmpty && incoming.isEmpty) { close() }
    }

    private func close() {
        guard !closed, let context else { return }
        closed = true
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension PlainHTTP2ServerHandler: Sendable {}

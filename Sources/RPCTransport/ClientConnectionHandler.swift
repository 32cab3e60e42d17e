import CNGHTTP2
import NIOCore
import RPCCore

/// Runs gRPC calls over one client HTTP/2 connection: opens a stream per call, sends the framed
/// request, and turns response headers, data and trailers back into a status and replies.
final class ClientConnectionHandler: ChannelInboundHandler, HTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let authority: String
    /// `https` over TLS, `http` otherwise.
    private let scheme: String
    private let maxMessageLength: Int
    private var session: HTTP2Session?
    private var context: ChannelHandlerContext?
    /// Expires calls that have a deadline; made when the session starts.
    private var deadlines: CallDeadlines?
    private var calls: [Int32: ClientCall] = [:]
    /// Writes the session's output; made when the session starts.
    private var output: SessionOutput?
    private var closed = false
    /// Set when the server sent GOAWAY: no new calls go on this connection.
    private(set) var isDraining = false
    /// Told when the connection stops taking new calls (GOAWAY or close).
    var onUnusable: (() -> Void)?

    init(authority: String, scheme: String = "http", maxMessageLength: Int) {
        self.authority = authority
        self.scheme = scheme
        self.maxMessageLength = maxMessageLength
    }

    var activeCalls: Int { calls.count }
    var isUsable: Bool { !closed && !isDraining && session != nil }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start() }
    }

    func channelActive(context: ChannelHandlerContext) {
        start()
        context.fireChannelActive()
    }

    private func start() {
        guard session == nil else { return }
        do {
            let session = try HTTP2Session(role: .client, settings: .init())
            session.delegate = self
            self.session = session
            if let context { output = SessionOutput(session: session, context: context) { [weak self] in self?.flushOutput() } }
        } catch {
            context?.close(promise: nil)
            return
        }
        if let loop = context?.eventLoop {
            deadlines = CallDeadlines(loop: loop) { [weak self] stream in
                guard let self, let call = self.calls[stream] else { return }
                self.cancel(
                    call, with: RPCError(.deadlineExceeded, "deadline exceeded calling \(call.path) on \(self.authority)"))
            }
        }
        flushOutput()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !closed else { return }
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { try session.receive($0) }
        } catch {
            flushOutput()
            failAll(RPCError(.internal, "HTTP/2 protocol error from \(authority): \(error)"))
            context.close(promise: nil)
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
        closed = true
        failAll(RPCError(.unavailable, "connection to \(authority) closed"))
        onUnusable?()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RPCError(.unavailable, "connection to \(authority) failed: \(error)"))
        context.close(promise: nil)
    }

    // MARK: Calls

    /// Opens a stream for `call` and sends its request.
    func start(_ call: ClientCall) {
        guard let session, isUsable else {
            call.fail(RPCError(.unavailable, "connection to \(authority) is not usable", unprocessed: true))
            return
        }
        var headers: HeaderList = [
            HeaderField(":method", "POST"), HeaderField(":scheme", scheme), HeaderField(":path", call.path),
            HeaderField(":authority", authority), HeaderField("content-type", "application/grpc"),
            HeaderField("te", "trailers"), HeaderField("user-agent", "inference-mesh-rpc/1"),
        ]
        headers.reserveCapacity(headers.count + 1 + call.metadata.count)
        let timeout = call.timeout.map { TimeAmount($0).nanoseconds }
        if let timeout { headers.append(HeaderField("grpc-timeout", GRPCTimeout.encode(nanoseconds: timeout))) }
        for (name, value) in call.metadata { headers.append(HeaderField(name, value)) }
        guard let stream = session.submitRequest(headers: headers) else {
            call.fail(RPCError(.unavailable, "could not open a stream to \(authority)", unprocessed: true))
            return
        }
        call.streamID = stream
        calls[stream] = call
        if let timeout { deadlines?.set(stream, in: timeout) }
        if call.endsRequest {
            session.enqueueMessage(stream: stream, call.request, end: true)
        }
        output?.schedule()
    }

    /// Queues one more request message on an open bidirectional call; `end` half-closes it.
    func send(_ message: [UInt8], on call: ClientCall, end: Bool) {
        guard !call.finished, let session, let stream = call.streamID else { return }
        session.enqueueMessage(stream: stream, message, end: end)
        output?.schedule()
    }

    /// Half-closes a bidirectional call: END_STREAM after the messages already queued.
    func finishRequest(_ call: ClientCall) {
        guard !call.finished, let session, let stream = call.streamID else { return }
        session.enqueue(stream: stream, bytes: [], end: true)
        output?.schedule()
    }

    /// Ends a call early (deadline, task cancellation): resets its stream and fails it.
    func cancel(_ call: ClientCall, with error: RPCError) {
        guard !call.finished else { return }
        if let stream = call.streamID {
            session?.resetStream(stream, errorCode: UInt32(NGHTTP2_CANCEL.rawValue))
            output?.schedule()
        }
        call.fail(error)
    }

    /// Fails every call of a lost connection; those the server had not answered at all are
    /// marked `unanswered`.
    private func failAll(_ error: RPCError) {
        let pending = calls.values
        calls.removeAll()
        deadlines?.removeAll()
        for call in pending {
            var failure = error
            failure.unanswered = call.responseHeaders == nil
            call.fail(failure)
        }
    }

    // MARK: Session events

    func session(_ session: HTTP2Session, headers: HeaderList, stream: Int32, endStream: Bool) {
        guard let call = calls[stream] else { return }
        if call.responseHeaders == nil {
            var metadata = Metadata()
            var httpStatus = ""
            var contentType = ""
            for field in headers {
                switch field.name {
                case ":status": httpStatus = field.value
                case "content-type": contentType = field.value
                default: metadata.addReceived(field, room: headers.count)
                }
            }
            call.responseHeaders = metadata
            if httpStatus != "200" {
                if metadata["grpc-status"] == nil {
                    call.fail(
                        RPCError(Self.code(forHTTPStatus: httpStatus), "\(call.path) on \(authority) answered HTTP \(httpStatus)")
                    )
                    return
                }
            } else if !contentType.hasPrefix("application/grpc") {
                call.fail(
                    RPCError(
                        .unknown,
                        "\(authority) answered with content-type \(contentType.isEmpty ? "(none)" : contentType), not application/grpc"
                    ))
                return
            }
            if endStream {
                // Trailers-Only: the headers carry the status.
                finish(call, trailers: headers)
            }
        } else {
            finish(call, trailers: headers)
        }
    }

    func session(_ session: HTTP2Session, headerListTooLargeOn stream: Int32, endStream: Bool) {
        guard let call = calls[stream] else { return }
        cancel(call, with: RPCError(.resourceExhausted, "response headers from \(authority) exceed the limit"))
    }

    func session(_ session: HTTP2Session, data: UnsafeRawBufferPointer, stream: Int32) {
        guard let call = calls[stream], !call.finished else { return }
        do {
            try call.deframer.append(data) { message throws(RPCError) in call.deliver(message) }
        } catch {
            cancel(call, with: error)
        }
    }

    func session(_ session: HTTP2Session, endOfDataOn stream: Int32) {}

    func session(_ session: HTTP2Session, closed stream: Int32, errorCode: UInt32) {
        deadlines?.remove(stream)
        guard let call = calls.removeValue(forKey: stream) else { return }
        guard !call.finished else { return }
        switch errorCode {
        case 0:
            call.fail(RPCError(.internal, "\(call.path) on \(authority) ended without a status"))
        case NGHTTP2_REFUSED_STREAM.rawValue:
            call.fail(RPCError(.unavailable, "\(authority) refused the stream before processing it", unprocessed: true))
        case NGHTTP2_CANCEL.rawValue:
            call.fail(RPCError(.cancelled, "\(authority) cancelled the call"))
        default:
            call.fail(RPCError(.internal, "\(authority) reset the stream (HTTP/2 error \(errorCode))"))
        }
    }

    func session(_ session: HTTP2Session, goAwayWithLastStream lastStreamID: Int32, errorCode: UInt32) {
        // Streams above lastStreamID are closed by nghttp2 with REFUSED_STREAM; the rest finish.
        isDraining = true
        onUnusable?()
    }

    func sessionReceivedPingAck(_ session: HTTP2Session) {}

    /// Ends `call` with the status in `fields` (trailers, or Trailers-Only headers); the other
    /// custom fields become its trailing metadata.
    private func finish(_ call: ClientCall, trailers fields: HeaderList) {
        var status: String?
        var statusMessage: String?
        var trailers = Metadata()
        for field in fields {
            switch field.name {
            case "grpc-status": status = field.value
            case "grpc-message": statusMessage = field.value
            case "content-type": break
            default: trailers.addReceived(field, room: fields.count)
            }
        }
        let code = status.map(StatusCode.init(wireValue:))
        let message = statusMessage.map(PercentEncoding.decode) ?? ""
        guard let code else {
            call.fail(RPCError(.internal, "\(call.path) on \(authority) ended without grpc-status"))
            return
        }
        if code == .ok, call.deframer.hasPartialMessage {
            call.fail(RPCError(.internal, "\(authority) ended the stream inside a message"))
            return
        }
        call.complete(code: code, message: message, trailers: trailers)
    }

    /// The gRPC spec's mapping for responses that are not gRPC.
    private static func code(forHTTPStatus status: String) -> StatusCode {
        switch status {
        case "400": .internal
        case "401": .unauthenticated
        case "403": .permissionDenied
        case "404": .unimplemented
        case "429", "502", "503", "504": .unavailable
        default: .unknown
        }
    }

    // MARK: Output

    private func flushOutput() {
        guard let output, let context, !closed else { return }
        do {
            // Stops while the socket takes no bytes; channelWritabilityChanged resumes.
            try output.write()
        } catch {
            failAll(RPCError(.internal, "HTTP/2 send to \(authority) failed: \(error)"))
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension ClientConnectionHandler: Sendable {}

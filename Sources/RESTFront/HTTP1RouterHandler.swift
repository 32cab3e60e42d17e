import JSONEscaping
import NIOCore
import NIOHTTP1
import RPCTransport

/// Serves HTTP/1.1 on a connection whose pipeline NIOHTTP1 parses (with its pipelining
/// assistance, so one request is answered at a time, in order): each request is read whole,
/// the body within `maxBodyBytes` (413 and close beyond it, decided from Content-Length before
/// any of the body is kept), and answered through the router on this connection's event loop.
final class HTTP1RouterHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxBodyBytes: Int
    private let secure: Bool
    private let respond: PlainHTTPResponder
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var refused = false
    private var executor: EventLoopTaskExecutor?

    init(maxBodyBytes: Int, secure: Bool, respond: @escaping PlainHTTPResponder) {
        self.maxBodyBytes = maxBodyBytes
        self.secure = secure
        self.respond = respond
    }

    func handlerAdded(context: ChannelHandlerContext) {
        executor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
            refused = false
            if let declared = requestHead.headers.first(name: "content-length").flatMap({ Int($0) }), declared > maxBodyBytes {
                refuse(
                    context: context, "the request body of \(declared) bytes is larger than the limit of \(maxBodyBytes) bytes")
            }
        case .body(let buffer):
            guard !refused else { return }
            guard body.count + buffer.readableBytes <= maxBodyBytes else {
                refuse(context: context, "the request body is larger than the limit of \(maxBodyBytes) bytes")
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard !refused, let head else { return }
            self.head = nil
            run(head, body: body, context: context)
            body = []
        }
    }

    /// Runs the request as a task that starts on this event loop, so a handler that does not
    /// suspend answers within this read, with no thread hop.
    private func run(_ head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        let request = PlainHTTPRequest(
            method: head.method.rawValue, path: head.uri, authority: head.headers.first(name: "host") ?? "",
            scheme: secure ? "https" : "http", headers: head.headers.map { ($0.name.lowercased(), $0.value) }, body: body)
        let respond = self.respond
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let keepAlive = head.isKeepAlive
        let version = head.version
        Task.immediate(executorPreference: executor) {
            let response = await respond(request)
            if loopBound.eventLoop.inEventLoop {
                let (handler, context) = loopBound.value
                handler.write(response, version: version, keepAlive: keepAlive, context: context)
            } else {
                loopBound.eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.write(response, version: version, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    private func refuse(context: ChannelHandlerContext, _ message: String) {
        refused = true
        let version = head?.version ?? .http1_1
        head = nil
        body = []
        let json = "{\"error\":\(JSONString.quoted(message))}"
        let response = PlainHTTPResponse(
            status: 413, headers: [("content-type", "application/json")], body: Array(json.utf8))
        // The rest of the body is not read: the connection closes after the answer.
        write(response, version: version, keepAlive: false, context: context)
    }

    private func write(_ response: PlainHTTPResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 2)
        for (name, value) in response.headers where name.lowercased() != "content-length" {
            headers.add(name: name, value: value)
        }
        headers.add(name: "content-length", value: String(response.body.count))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if !response.body.isEmpty {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.futureResult.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension HTTP1RouterHandler: Sendable {}

import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOTLS
import RPCTransport

/// The REST port's connections: HTTP/1.1 parsed by NIOHTTP1, or HTTP/2 through libnghttp2 (the
/// gRPC port's HTTP/2 implementation), both answered by the Hummingbird router on the
/// connection's event loop. Under TLS, ALPN chooses
/// (`h2`, else HTTP/1.1); in plaintext, a client that opens with the HTTP/2 preface gets HTTP/2
/// (h2c with prior knowledge), any other gets HTTP/1.1.
struct RESTConnection: ServerChildChannel {
    /// The protocol a connection turned out to speak (its handlers then serve it on their own).
    enum Spoken: Sendable {
        case http1
        case http2
    }

    /// The setup ends before any byte is read (the channel is not registered yet), so the
    /// protocol is a future that the first bytes or the TLS handshake complete.
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let chosen: EventLoopFuture<Spoken>
    }

    let tls: ServerTLS?
    let maxBodyBytes: Int
    let maxHeaderListSize: Int
    /// Answers one request on `channel` through the router.
    let responder: @Sendable (_ channel: any Channel) -> PlainHTTPResponder

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let choose: @Sendable (Bool) -> EventLoopFuture<Spoken> = { isHTTP2 in
            isHTTP2 ? speakHTTP2(channel, logger: logger) : speakHTTP1(channel, logger: logger)
        }
        return channel.eventLoop.makeCompletedFuture {
            if let tls {
                try tls.addHandlers(to: channel, logger: logger)
                let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Spoken> { result in
                    if case .negotiated("h2") = result { return choose(true) }
                    return choose(false)
                }
                try channel.pipeline.syncOperations.addHandler(negotiation)
                return Value(channel: channel, chosen: negotiation.protocolNegotiationResult)
            }
            let sniffer = HTTP2PrefaceSniffer(loop: channel.eventLoop, choose: choose)
            try channel.pipeline.syncOperations.addHandler(sniffer)
            return Value(channel: channel, chosen: sniffer.chosen)
        }
    }

    func handle(value: Value, logger: Logger) async {
        guard (try? await value.chosen.get()) != nil else {
            value.channel.close(promise: nil)
            return
        }
        try? await value.channel.closeFuture.get()
    }

    private func speakHTTP1(_ channel: any Channel, logger: Logger) -> EventLoopFuture<Spoken> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderListSize = maxHeaderListSize
            limits.maxHeaderFieldSize = maxHeaderListSize
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: true, withErrorHandling: true, withOutboundHeaderValidation: true,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
            try channel.pipeline.syncOperations.addHandler(
                HTTP1RouterHandler(maxBodyBytes: maxBodyBytes, secure: tls != nil, respond: responder(channel)))
            return .http1
        }
    }

    private func speakHTTP2(_ channel: any Channel, logger: Logger) -> EventLoopFuture<Spoken> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                PlainHTTP2ServerHandler(
                    maxBodyBytes: maxBodyBytes, maxHeaderListSize: maxHeaderListSize, logger: logger,
                    respond: responder(channel)))
            return .http2
        }
    }
}

/// Holds a plaintext connection's first bytes until they show whether it opens with the HTTP/2
/// connection preface, then sets the pipeline up for that protocol and passes the bytes on.
final class HTTP2PrefaceSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    private let choose: @Sendable (Bool) -> EventLoopFuture<RESTConnection.Spoken>
    private var buffered: ByteBuffer?
    private var decided = false
    private let promise: EventLoopPromise<RESTConnection.Spoken>

    init(loop: any EventLoop, choose: @escaping @Sendable (Bool) -> EventLoopFuture<RESTConnection.Spoken>) {
        self.choose = choose
        promise = loop.makePromise()
    }

    /// Completes once the first bytes have chosen the protocol and the pipeline speaks it.
    var chosen: EventLoopFuture<RESTConnection.Spoken> { promise.futureResult }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard !decided else {
            buffered?.writeBuffer(&bytes)
            return
        }
        if buffered == nil {
            buffered = bytes
        } else {
            buffered?.writeBuffer(&bytes)
        }
        guard let seen = buffered?.readableBytesView else { return }
        let compared = min(seen.count, Self.preface.count)
        let matches = seen.prefix(compared).elementsEqual(Self.preface.prefix(compared))
        guard !matches || compared == Self.preface.count else { return }  // Too early to tell.
        decide(context: context, isHTTP2: matches)
    }

    /// A connection that has not said anything yet has nothing to finish: shutdown closes it.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !decided {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !decided { promise.fail(ChannelError.eof) }
        context.fireChannelInactive()
    }

    private func decide(context: ChannelHandlerContext, isHTTP2: Bool) {
        decided = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        choose(isHTTP2).whenComplete { result in
            let (sniffer, context) = loopBound.value
            switch result {
            case .success(let value):
                sniffer.promise.succeed(value)
                if let bytes = sniffer.buffered {
                    sniffer.buffered = nil
                    context.fireChannelRead(NIOAny(bytes))
                    context.fireChannelReadComplete()
                }
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            case .failure(let error):
                sniffer.promise.fail(error)
                context.close(promise: nil)
            }
        }
    }
}

@available(*, unavailable)
extension HTTP2PrefaceSniffer: Sendable {}

/// Runs the router for requests read whole by either protocol handler and collects each
/// response whole.
struct RouterBridge: Sendable {
    let responder: RouterResponder<BasicRequestContext>
    let logger: Logger

    func respond(_ plain: PlainHTTPRequest, channel: any Channel) async -> PlainHTTPResponse {
        var fields = HTTPFields()
        for (name, value) in plain.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        let head = HTTPRequest(
            method: HTTPRequest.Method(plain.method) ?? .get, scheme: plain.scheme, authority: plain.authority,
            path: plain.path, headerFields: fields)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: plain.body)))
        let context = BasicRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            guard let rendered = try? error.response(from: request, context: context) else {
                return PlainHTTPResponse(status: error.status.code)
            }
            response = rendered
        } catch {
            return PlainHTTPResponse(status: 500)
        }
        let collected = CollectedBody()
        try? await response.body.write(BodyCollector(into: collected))
        return PlainHTTPResponse(
            status: response.status.code, headers: response.headers.map { ($0.name.canonicalName, $0.value) },
            body: collected.bytes)
    }
}

/// Where `BodyCollector` puts a response body (the writer itself is consumed by `write`).
private final class CollectedBody: @unchecked Sendable {
    var bytes: [UInt8] = []
}

private struct BodyCollector: ResponseBodyWriter {
    let into: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        into.bytes.append(contentsOf: buffer.readableBytesView)
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        for buffer in buffers { into.bytes.append(contentsOf: buffer.readableBytesView) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

import NIOCore
import NIOSSL
import NIOTLS

/// Why a connection never got past its TLS handshake.
public struct TLSHandshakeError: Error, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The peers could not agree: bad or untrusted certificate, no common protocol, or a
        /// peer that does not speak TLS at all.
        case failed
        /// The peer went away before the connection was established.
        case closed
        /// The handshake took longer than allowed.
        case timedOut
    }

    public var kind: Kind
    public var description: String
}

/// Sits right above the TLS handler and reports, through `completion`, whether the connection
/// got through its handshake: it fails on a TLS error, on close, or when `timeout` passes first.
///
/// A failed handshake's error stops here (the TLS handler closes the connection itself), so the
/// HTTP/2 handler above only ever sees connections that were established.
final class TLSHandshakeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// When the connection counts as established.
    enum Milestone {
        /// The TLS handshake finished (servers: the client's certificate, if any, was accepted).
        case handshakeCompleted
        /// The peer's first application bytes arrived. Clients wait for the server's HTTP/2
        /// preface: with TLS 1.3 a server rejects a client certificate only after the client's
        /// side of the handshake is done, and that refusal must not look like a usable connection.
        case firstBytesReceived
    }

    private let completion: EventLoopPromise<Void>
    private let timeout: Duration
    private let readyWhen: Milestone
    private var timer: Scheduled<Void>?
    private var handshakeDone = false
    private var finished = false

    init(completion: EventLoopPromise<Void>, timeout: Duration, readyWhen: Milestone) {
        self.completion = completion
        self.timeout = timeout
        self.readyWhen = readyWhen
    }

    /// Succeeds when the connection is established, fails when it never will be.
    var established: EventLoopFuture<Void> { completion.futureResult }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A connect that failed never made the channel active: complete the promise anyway.
        fail(TLSHandshakeError(kind: .closed, description: "connection closed before the TLS handshake"))
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context: context)
        context.fireChannelActive()
    }

    private func startTimer(context: ChannelHandlerContext) {
        guard timer == nil, !finished else { return }
        let timeout = self.timeout
        let delay = TimeAmount(timeout)
        timer = context.eventLoop.scheduleTask(in: delay) {
            [loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)] in
            let (handler, context) = loopBound.value
            handler.fail(TLSHandshakeError(kind: .timedOut, description: "TLS handshake not finished within \(timeout)"))
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshakeDone = true
            if readyWhen == .handshakeCompleted { succeed() }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if readyWhen == .firstBytesReceived { succeed() }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !finished else {
            context.fireErrorCaught(error)
            return
        }
        let reason = Self.reason(error)
        fail(
            TLSHandshakeError(
                kind: .failed,
                description: handshakeDone ? "refused after the TLS handshake: \(reason)" : "TLS handshake failed: \(reason)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(
            TLSHandshakeError(
                kind: .closed,
                description: handshakeDone
                    ? "connection closed right after the TLS handshake" : "connection closed during the TLS handshake"))
        context.fireChannelInactive()
    }

    /// What went wrong in words: BoringSSL's reasons ("certificate verify failed", "tlsv13 alert
    /// certificate required") without NIOSSL's wrapping, error numbers and source locations.
    static func reason(_ error: any Error) -> String {
        let stack: NIOBoringSSLErrorStack
        switch error {
        case NIOSSLError.handshakeFailed(.sslError(let errors)): stack = errors
        case BoringSSLError.sslError(let errors): stack = errors
        case NIOSSLError.handshakeFailed(let underlying): return "\(underlying)"
        default: return "\(error)"
        }
        let reasons = stack.compactMap { readableReason("\($0)") }
        return reasons.isEmpty ? "\(error)" : reasons.joined(separator: "; ")
    }

    /// `certificate verify failed` from `Error: 268435581 error:1000007d:SSL
    /// routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at /path/file.c:123`.
    static func readableReason(_ text: String) -> String? {
        guard let start = text.firstRange(of: "error:") else { return nil }
        var message = text[start.upperBound...]
        if let location = message.firstRange(of: " at ") { message = message[..<location.lowerBound] }
        guard let code = message.split(separator: ":").last, !code.isEmpty else { return nil }
        return String(code.lowercased().map { $0 == "_" ? " " : $0 })
    }

    private func succeed() {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        completion.succeed()
    }

    private func fail(_ error: TLSHandshakeError) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        completion.fail(error)
    }
}

@available(*, unavailable)
extension TLSHandshakeHandler: Sendable {}

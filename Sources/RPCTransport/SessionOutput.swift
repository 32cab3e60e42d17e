import NIOCore

/// Moves an nghttp2 session's queued frames to the channel: the one output path of client and
/// server connections.
///
/// Writing stops while the channel is not writable, so bytes for a peer that stops reading wait
/// in the session's stream queues (where flow control and the server's write high-water mark hold
/// writers back), not in NIO's outbound buffer; the owner writes again when writability returns.
/// Confined to the connection's event loop.
final class SessionOutput {
    /// Bytes taken from nghttp2 per channel write.
    private static let chunk = 64 * 1024

    private let session: HTTP2Session
    private let context: ChannelHandlerContext
    /// The owner's flush: `write()` plus whatever its connection does after writing.
    private let flush: () -> Void
    private var flushScheduled = false

    /// `flush` must not hold its owner strongly: the owner holds this object.
    init(session: HTTP2Session, context: ChannelHandlerContext, flush: @escaping () -> Void) {
        self.session = session
        self.context = context
        self.flush = flush
    }

    /// Writes what the session has queued while the channel takes it, then flushes the channel
    /// once; throws what nghttp2's send loop throws.
    func write() throws {
        var wrote = false
        while context.channel.isWritable,
            let output = try session.drainOutput(allocator: context.channel.allocator, limit: Self.chunk)
        {
            context.write(NIOAny(output), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
    }

    /// Runs the owner's flush later in this loop tick, once however often it is asked, so the
    /// replies finishing in one tick go out in one write.
    func schedule() {
        guard !flushScheduled else { return }
        flushScheduled = true
        let loop = context.eventLoop
        loop.execute { [loopBound = NIOLoopBound(self, eventLoop: loop)] in
            loopBound.value.flushScheduled = false
            loopBound.value.flush()
        }
    }
}

@available(*, unavailable)
extension SessionOutput: Sendable {}

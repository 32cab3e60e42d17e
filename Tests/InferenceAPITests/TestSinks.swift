import RPCCore

/// A response sink whose written messages a test reads, in order, from `messages`.
final class StreamSink: ResponseStreamSink, Sendable {
    let messages: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation

    init() {
        (messages, continuation) = AsyncStream.makeStream()
    }

    func write(_ message: [UInt8]) async throws {
        continuation.yield(message)
    }
}

/// A sink whose writes fail, as they do once the client has gone away.
struct GoneSink: ResponseStreamSink {
    func write(_ message: [UInt8]) async throws {
        throw RPCError(.cancelled, "the client went away")
    }
}

/// A context for calling method handlers directly.
func testContext(_ method: String) -> ServerContext {
    ServerContext(method: method, metadata: [:], deadline: nil, peer: "test")
}

import NIOCore
import RPCCore
import Synchronization
import TestSupport
import Testing

@testable import RPCTransport

/// A bidirectional echo whose handler reads a request only when the test allows it, so a slow
/// reader is simulated without timers (see the note atop ServerHandlerTests).
private final class PacedEchoService: RPCService {
    static let path = "/test.Bidi/PacedEcho"

    private let permits: AsyncStream<Int>
    private let permitSink: AsyncStream<Int>.Continuation
    private let ending = Mutex<String?>(nil)

    init() {
        (permits, permitSink) = AsyncStream.makeStream()
    }

    /// Lets the handler read `count` more requests.
    func allow(_ count: Int) { permitSink.yield(count) }

    /// How the handler ended: "finished" when the requests ended, else the error; nil while it runs.
    var outcome: String? { ending.withLock { $0 } }

    var methods: [MethodHandler] {
        [
            .bidirectionalStreaming(Self.path) {
                [self] (requests: RequestStream<RawBytes>, _, responses: ResponseStream<RawBytes>) in
                do {
                    var permits = self.permits.makeAsyncIterator()
                    var allowed = 0
                    while true {
                        while allowed == 0 {
                            guard let more = await permits.next() else { throw CancellationError() }
                            allowed += more
                        }
                        guard let request = try await requests.next() else { break }
                        allowed -= 1
                        try await responses.write(request)
                    }
                    ending.withLock { $0 = "finished" }
                } catch {
                    ending.withLock { $0 = "\(error)" }
                    throw error
                }
            }
        ]
    }
}

@Suite("Bidirectional streaming over EmbeddedChannel")
struct BidirectionalStreamTests {
    private static let window = 65_535

    private func connection(
        _ service: PacedEchoService, maxMessageLength: Int = 4 << 20
    ) throws -> EmbeddedConnection {
        var configuration = ServerConfiguration()
        configuration.limits.initialWindowSize = UInt32(Self.window)
        configuration.limits.maxReceiveMessageLength = maxMessageLength
        return try EmbeddedConnection(services: [service], configuration: configuration)
    }

    @Test func repliesFollowRequestsAndTheCallEndsWithTheRequests() throws {
        let service = PacedEchoService()
        service.allow(100)
        let connection = try connection(service)
        defer { try? connection.close() }
        let stream = try connection.startCall(
            PacedEchoService.path, body: MessageFraming.frame([1]) + MessageFraming.frame([2, 2]), end: false)
        #expect(try connection.client[stream].messages() == [[1], [2, 2]], "replies come before the requests end")
        #expect(connection.client[stream].status == nil)
        try connection.send(stream: stream, MessageFraming.frame([3]), end: true)
        let record = connection.client[stream]
        #expect(try record.messages() == [[1], [2, 2], [3]])
        #expect(record.status == .ok)
        #expect(service.outcome == "finished")
    }

    @Test func aSlowReaderHoldsTheSenderBackWithTheWindow() throws {
        let service = PacedEchoService()
        let connection = try connection(service)
        defer { try? connection.close() }
        let framed = MessageFraming.frame([UInt8](repeating: 7, count: 8 * 1024))
        let count = 64  // eight windows' worth
        let total = framed.count * count
        let stream = try connection.startCall(
            PacedEchoService.path, body: Array([[UInt8]](repeating: framed, count: count).joined()), end: true)
        // The server buffers what fits under its high-water mark plus one window in flight, and
        // acknowledges nothing more while the handler reads nothing.
        let bound = ServerRequestQueue.highWater + framed.count + Self.window
        func accepted() -> Int { total - connection.client.session.pendingBytes(stream: stream) }
        #expect(accepted() <= bound, "the server took \(accepted()) bytes")
        #expect(accepted() > 0)
        let stalled = accepted()
        try connection.exchange()
        #expect(accepted() == stalled, "no window reopens while nothing is read")

        // Reading reopens the window, still within the bound.
        service.allow(16)
        try connection.exchange()
        #expect(try connection.client[stream].messages().count == 16)
        #expect(accepted() > stalled)
        #expect(accepted() <= bound + 16 * framed.count)

        service.allow(count)
        try connection.exchange()
        let record = connection.client[stream]
        #expect(accepted() == total)
        #expect(try record.messages().count == count)
        #expect(record.status == .ok)
        #expect(service.outcome == "finished")
    }

    @Test func aResetEndsTheHandlerWaitingForRequests() throws {
        let service = PacedEchoService()
        service.allow(100)
        let connection = try connection(service)
        defer { try? connection.close() }
        let stream = try connection.startCall(PacedEchoService.path, body: MessageFraming.frame([1]), end: false)
        #expect(try connection.client[stream].messages() == [[1]])
        #expect(service.outcome == nil, "the handler waits for the next request")
        connection.client.session.resetStream(stream, errorCode: 0x8)  // CANCEL
        try connection.exchange()
        #expect(service.outcome != nil && service.outcome != "finished", "\(service.outcome ?? "still running")")
        #expect(connection.channel.isActive)
    }

    @Test func losingTheConnectionEndsTheHandler() throws {
        let service = PacedEchoService()
        service.allow(100)
        let connection = try connection(service)
        _ = try connection.startCall(PacedEchoService.path, body: MessageFraming.frame([1]), end: false)
        #expect(service.outcome == nil)
        try connection.close()
        #expect(service.outcome != nil && service.outcome != "finished", "\(service.outcome ?? "still running")")
    }

    @Test func theDeadlineEndsTheStream() throws {
        let service = PacedEchoService()
        service.allow(100)
        let connection = try connection(service)
        defer { try? connection.close() }
        let stream = try connection.startCall(
            PacedEchoService.path, headers: [HeaderField("grpc-timeout", "100m")], body: MessageFraming.frame([1]), end: false)
        #expect(try connection.client[stream].messages() == [[1]])
        connection.loop.advanceTime(by: .milliseconds(100))
        try connection.exchange()
        #expect(connection.client[stream].status == .deadlineExceeded)
        #expect(service.outcome != nil && service.outcome != "finished")
    }

    @Test func aMessageOverTheLimitEndsTheStreamBeforeItIsBuffered() throws {
        let service = PacedEchoService()
        service.allow(100)
        let connection = try connection(service, maxMessageLength: 1024)
        defer { try? connection.close() }
        let stream = try connection.startCall(PacedEchoService.path, body: MessageFraming.frame([1]), end: false)
        // Only the prefix of the big message: the limit is decided from it.
        try connection.send(stream: stream, Array(MessageFraming.frame([UInt8](repeating: 0, count: 2048))[0..<5]), end: false)
        let record = connection.client[stream]
        #expect(try record.messages() == [[1]])
        #expect(record.status == .resourceExhausted)
        #expect(service.outcome != nil && service.outcome != "finished")
    }
}

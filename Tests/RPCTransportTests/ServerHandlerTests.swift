import Logging
import NIOCore
import NIOEmbedded
import RPCCore
import Synchronization
import TestSupport
import Testing

@testable import RPCTransport

// These tests are synchronous on purpose: `EmbeddedEventLoop` may only be used from the thread
// that created it, and handler tasks run on it (through `EventLoopTaskExecutor`) only when the
// test calls `run()`. Handlers therefore never wake up on their own (a `Task.sleep` that ends by
// itself would resume on another thread); they end by cancellation or when a `GatedService` gate opens.

/// What the client saw on one stream.
struct StreamRecord {
    var headerBlocks: [(headers: HeaderList, endStream: Bool)] = []
    var data: [UInt8] = []
    var closedWith: UInt32?

    /// The first header block.
    var headers: HeaderList? { headerBlocks.first?.headers }
    /// The block carrying the status: trailers, or the only block of a Trailers-Only response.
    var trailers: HeaderList? { headerBlocks.last.flatMap { $0.endStream ? $0.headers : nil } }
    var isTrailersOnly: Bool { headerBlocks.count == 1 && headerBlocks[0].endStream }

    var status: StatusCode? { trailers.flatMap { value("grpc-status", in: $0) }.map(StatusCode.init(wireValue:)) }
    var message: String? { trailers.flatMap { value("grpc-message", in: $0) }.map(PercentEncoding.decode) }

    func messages() throws -> [[UInt8]] {
        var deframer = MessageDeframer(maxMessageLength: .max)
        let messages = try deframer.append(data)
        #expect(!deframer.hasPartialMessage)
        return messages
    }
}

private func value(_ name: String, in headers: HeaderList) -> String? {
    headers.first { $0.name == name }?.value
}

/// The client end of the connection: an nghttp2 client session that records what arrives.
final class ClientPeer: HTTP2SessionDelegate {
    let session: HTTP2Session
    private(set) var streams: [Int32: StreamRecord] = [:]
    private(set) var goAways: [(lastStream: Int32, errorCode: UInt32)] = []

    init(settings: HTTP2Session.Settings) throws {
        session = try HTTP2Session(role: .client, settings: settings)
        session.delegate = self
    }

    subscript(stream: Int32) -> StreamRecord { streams[stream] ?? StreamRecord() }

    func session(_ session: HTTP2Session, headers: HeaderList, stream: Int32, endStream: Bool) {
        streams[stream, default: StreamRecord()].headerBlocks.append((headers, endStream))
    }

    func session(_ session: HTTP2Session, headerListTooLargeOn stream: Int32, endStream: Bool) {
        Issue.record("response headers too large on stream \(stream)")
    }

    func session(_ session: HTTP2Session, data: UnsafeRawBufferPointer, stream: Int32) {
        streams[stream, default: StreamRecord()].data += data
    }

    func session(_ session: HTTP2Session, endOfDataOn stream: Int32) {}

    func session(_ session: HTTP2Session, closed stream: Int32, errorCode: UInt32) {
        streams[stream, default: StreamRecord()].closedWith = errorCode
    }

    func session(_ session: HTTP2Session, goAwayWithLastStream lastStreamID: Int32, errorCode: UInt32) {
        goAways.append((lastStreamID, errorCode))
    }

    func sessionReceivedPingAck(_ session: HTTP2Session) {}
}

/// The frames the server wrote, parsed from its raw output (RFC 9113 section 4.1).
struct FrameLog {
    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: Int32
        var payload: [UInt8]
    }

    private(set) var frames: [Frame] = []
    private var pending: [UInt8] = []

    mutating func append(_ bytes: ByteBuffer) {
        pending += bytes.readableBytesView
        while pending.count >= 9 {
            let length = Int(pending[0]) << 16 | Int(pending[1]) << 8 | Int(pending[2])
            guard pending.count >= 9 + length else { return }
            let stream = Int32(bitPattern: UInt32(bigEndianBytes: pending[5..<9]) & 0x7FFF_FFFF)
            frames.append(Frame(type: pending[3], flags: pending[4], stream: stream, payload: Array(pending[9..<9 + length])))
            pending.removeFirst(9 + length)
        }
    }

    /// GOAWAY frames (type 7): last stream id and error code.
    var goAways: [(lastStream: Int32, errorCode: UInt32)] {
        frames.filter { $0.type == 7 }.map { frame in
            (
                Int32(bitPattern: UInt32(bigEndianBytes: frame.payload[0..<4]) & 0x7FFF_FFFF),
                UInt32(bigEndianBytes: frame.payload[4..<8])
            )
        }
    }
}

extension UInt32 {
    fileprivate init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// A `ServerConnectionHandler` in an `EmbeddedChannel`, wired to a `ClientPeer`.
final class EmbeddedConnection {
    let channel: EmbeddedChannel
    let client: ClientPeer
    /// Everything the server wrote, frame by frame.
    private(set) var serverFrames = FrameLog()

    init(
        services: [any RPCService], configuration: ServerConfiguration = ServerConfiguration(),
        clientSettings: HTTP2Session.Settings = .init(), handshake: Bool = true
    ) throws {
        var methods: [String: MethodHandler] = [:]
        for method in services.flatMap(\.methods) { methods[method.path] = method }
        let handler = ServerConnectionHandler(
            methods: methods, configuration: configuration, logger: Logger(label: "test.server"))
        channel = EmbeddedChannel(handler: handler)
        client = try ClientPeer(settings: clientSettings)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_051)).wait()
        if handshake { try exchange() }
    }

    var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

    /// Runs the event loop and moves bytes both ways until neither side has anything to say.
    func exchange(sourceLocation: SourceLocation = #_sourceLocation) throws {
        for _ in 0..<100 {
            loop.run()
            var moved = false
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
                serverFrames.append(bytes)
                try bytes.withUnsafeReadableBytes { try client.session.receive($0) }
                moved = true
            }
            if let output = try client.session.drainOutput(allocator: channel.allocator), channel.isActive {
                try channel.writeInbound(output)
                moved = true
            }
            if !moved { return }
        }
        Issue.record("the connection kept talking after 100 rounds", sourceLocation: sourceLocation)
    }

    /// Opens a gRPC request; `body` is sent as is (frame it yourself), ending the stream if `end`.
    func startCall(
        _ path: String, contentType: String = "application/grpc", headers extra: HeaderList = [],
        body: [UInt8], end: Bool = true, trailers: HeaderList? = nil
    ) throws -> Int32 {
        let headers: HeaderList =
            [
                HeaderField(":method", "POST"), HeaderField(":scheme", "http"), HeaderField(":path", path),
                HeaderField(":authority", "localhost"), HeaderField("content-type", contentType),
                HeaderField("te", "trailers"),
            ] + extra
        let stream = try #require(client.session.submitRequest(headers: headers))
        client.session.enqueue(stream: stream, bytes: body, end: end, trailers: trailers)
        try exchange()
        return stream
    }

    /// Sends more of a request body.
    func send(stream: Int32, _ bytes: [UInt8], end: Bool) throws {
        client.session.enqueue(stream: stream, bytes: bytes, end: end)
        try exchange()
    }

    /// Closes the connection from the test's side and lets cancelled handlers finish.
    func close() throws {
        if channel.isActive {
            _ = try channel.finish(acceptAlreadyClosed: true)
        }
        loop.run()
    }
}

/// A method whose handler waits until the test opens its gate, keeping a call in flight without
/// timers. Cancellation also releases it, so no continuation outlives its test.
private final class GatedService: RPCService {
    static let path = "/test.Gated/Wait"

    private enum State {
        case closed
        case waiting(CheckedContinuation<Void, any Error>)
        case open
    }

    private let state = Mutex(State.closed)
    private let startedCount = Atomic<Int>(0)

    var started: Int { startedCount.load(ordering: .relaxed) }

    /// Lets the waiting handler (or the next one) reply.
    func open() {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            defer { state = .open }
            if case .waiting(let continuation) = state { return continuation }
            return nil
        }
        waiter?.resume()
    }

    private func wait() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state in
                    if case .open = state { return true }
                    state = .waiting(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
                guard case .waiting(let continuation) = state else { return nil }
                state = .closed
                return continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    var methods: [MethodHandler] {
        [
            .unary(Self.path) { [self] (request: RawBytes, _) in
                startedCount.add(1, ordering: .relaxed)
                try await wait()
                return request
            }
        ]
    }
}

/// Sixty seconds, big-endian, for `TestService.sleep`: far longer than any test, so the sleep only
/// ever ends by cancellation.
private let sleepForAMinute = MessageFraming.frame([0xEA, 0x60])

/// RST_STREAM error code CANCEL.
private let http2Cancel: UInt32 = 0x8

@Suite("ServerConnectionHandler over EmbeddedChannel")
struct ServerHandlerTests {
    @Test func unaryCallSucceeds() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.echo, body: MessageFraming.frame([1, 2, 3]))

        let record = connection.client[stream]
        #expect(record.headerBlocks.count == 2)
        let headers = try #require(record.headers)
        #expect(value(":status", in: headers) == "200")
        #expect(value("content-type", in: headers) == "application/grpc")
        #expect(record.headerBlocks.first?.endStream == false)
        #expect(try record.messages() == [[1, 2, 3]])
        #expect(record.status == .ok)
        #expect(record.message == nil)
        #expect(record.closedWith == 0)
        #expect(connection.channel.isActive)
    }

    @Test func requestSplitAcrossDataFramesSucceeds() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let framed = MessageFraming.frame(Array(0..<200))
        let stream = try connection.startCall(TestService.echo, body: Array(framed[0..<3]), end: false)
        #expect(connection.client[stream].headerBlocks.isEmpty)
        try connection.send(stream: stream, Array(framed[3..<100]), end: false)
        try connection.send(stream: stream, Array(framed[100...]), end: true)
        #expect(try connection.client[stream].messages() == [Array(0..<200)])
        #expect(connection.client[stream].status == .ok)
    }

    @Test func metadataReachesTheHandlerAndComesBack() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(
            TestService.metadata, headers: [HeaderField("x-echo", "hello")], body: MessageFraming.frame([]))
        let record = connection.client[stream]
        #expect(record.headers.flatMap { value("x-echo-header", in: $0) } == "hello")
        #expect(record.trailers.flatMap { value("x-echo-trailer", in: $0) } == "hello")
        #expect(try record.messages() == [Array("hello".utf8)])
        #expect(record.status == .ok)
    }

    @Test func handlerErrorBecomesTrailersOnlyStatus() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let body = [UInt8(StatusCode.notFound.rawValue)] + Array("no model ✓\n".utf8)
        let stream = try connection.startCall(TestService.fail, body: MessageFraming.frame(body))
        let record = connection.client[stream]
        #expect(record.isTrailersOnly)
        #expect(record.status == .notFound)
        #expect(record.message == "no model ✓\n")
        #expect(record.trailers.flatMap { value("x-detail", in: $0) } == "failing on purpose")
        #expect(record.trailers.flatMap { value(":status", in: $0) } == "200")
    }

    @Test func serverStreamingSendsEveryReply() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.stream, body: MessageFraming.frame([3, 9]))
        let record = connection.client[stream]
        #expect(try record.messages() == [[0, 9], [1, 9], [2, 9]])
        #expect(record.status == .ok)
    }

    @Test func serverStreamingWithNoRepliesIsTrailersOnlyOK() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.stream, body: MessageFraming.frame([0]))
        let record = connection.client[stream]
        #expect(record.isTrailersOnly)
        #expect(record.status == .ok)
        #expect(record.data.isEmpty)
    }

    @Test func requestTrailersAreAccepted() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(
            TestService.echo, body: MessageFraming.frame([5]), trailers: [HeaderField("x-checksum", "1")])
        #expect(try connection.client[stream].messages() == [[5]])
        #expect(connection.client[stream].status == .ok)
    }

    @Test func secondRequestMessageIsInternal() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(
            TestService.echo, body: MessageFraming.frame([1]) + MessageFraming.frame([2]))
        let record = connection.client[stream]
        #expect(record.isTrailersOnly)
        #expect(record.status == .internal)
        #expect(record.message?.contains("one request message") == true)
    }

    @Test func requestWithoutAMessageIsInternal() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.echo, body: [])
        #expect(connection.client[stream].status == .internal)
        #expect(connection.client[stream].message?.contains("without a message") == true)
    }

    @Test func truncatedRequestMessageIsInternal() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.echo, body: Array(MessageFraming.frame([1, 2, 3]).dropLast()))
        #expect(connection.client[stream].status == .internal)
        #expect(connection.client[stream].message?.contains("truncated") == true)
    }

    /// A complete message followed by the start of another is a truncated request too, but the
    /// server only checks for a partial message when no complete one arrived: it runs the
    /// handler on the first message and answers OK.
    @Test func truncatedSecondMessageIsInternal() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.echo, body: MessageFraming.frame([1]) + [0, 0, 0])
        #expect(connection.client[stream].status == .internal)
    }

    @Test func compressedRequestIsInternal() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.echo, body: [1, 0, 0, 0, 1, 0xFF])
        #expect(connection.client[stream].status == .internal)
        #expect(connection.client[stream].message?.contains("compress") == true)
    }

    @Test func oversizedRequestHeadersAreResourceExhausted() throws {
        var configuration = ServerConfiguration()
        configuration.limits.maxHeaderListSize = 1024
        let connection = try EmbeddedConnection(services: [TestService()], configuration: configuration)
        defer { try? connection.close() }
        let stream = try connection.startCall(
            TestService.echo, headers: [HeaderField("x-big", String(repeating: "a", count: 2048))],
            body: MessageFraming.frame([1]))
        let record = connection.client[stream]
        #expect(record.isTrailersOnly)
        #expect(record.status == .resourceExhausted)
        #expect(connection.channel.isActive)
    }

    @Test func malformedTimeoutIsInvalidArgument() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(
            TestService.echo, headers: [HeaderField("grpc-timeout", "soon")], body: MessageFraming.frame([1]))
        #expect(connection.client[stream].status == .invalidArgument)
    }

    @Test func unsupportedEncodingIsUnimplementedWithAcceptEncoding() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(
            TestService.echo, headers: [HeaderField("grpc-encoding", "gzip")], body: MessageFraming.frame([1]))
        let record = connection.client[stream]
        #expect(record.status == .unimplemented)
        #expect(record.trailers.flatMap { value("grpc-accept-encoding", in: $0) } == "identity")
    }

    @Test func rejectedRequestWithTrailersInTheSameReadGetsOneAnswer() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        // HEADERS, DATA and trailing HEADERS reach the server in one read: the trailers must not
        // be taken for a second request on the rejected stream.
        let stream = try connection.startCall(
            "/no.Such/Method", body: MessageFraming.frame([1]), trailers: [HeaderField("x-checksum", "1")])
        let record = connection.client[stream]
        #expect(record.headerBlocks.count == 1)
        #expect(record.status == .unimplemented)
        #expect(connection.channel.isActive)
        let next = try connection.startCall(TestService.echo, body: MessageFraming.frame([2]))
        #expect(connection.client[next].status == .ok)
    }

    @Test func keepalivePingKeepsAnAnsweringConnectionOpen() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        for _ in 0..<3 {
            connection.loop.advanceTime(by: .seconds(60))
            try connection.exchange()
        }
        #expect(connection.serverFrames.frames.filter { $0.type == 6 && $0.flags & 1 == 0 }.count == 3)
        connection.loop.advanceTime(by: .seconds(30))
        #expect(connection.channel.isActive)
    }

    @Test func unansweredKeepaliveClosesTheConnection() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        connection.loop.advanceTime(by: .seconds(60))
        // The client's acknowledgement is never delivered.
        connection.loop.advanceTime(by: .seconds(19))
        #expect(connection.channel.isActive)
        connection.loop.advanceTime(by: .seconds(1))
        #expect(!connection.channel.isActive)
    }

    @Test func streamedRepliesLargerThanTheWindowWaitForFlowControl() throws {
        // A small client window and replies far over the server's 1 MiB write high-water mark:
        // the handler's writes must wait for WINDOW_UPDATEs and still deliver everything in order.
        var settings = HTTP2Session.Settings()
        settings.initialWindowSize = 65_535
        let connection = try EmbeddedConnection(services: [TestService()], clientSettings: settings)
        defer { try? connection.close() }
        let request = [UInt8(6)] + (0..<400_000).map { UInt8(truncatingIfNeeded: $0) }
        let stream = try connection.startCall(TestService.stream, body: MessageFraming.frame(request))
        let record = connection.client[stream]
        let messages = try record.messages()
        #expect(messages.count == 6)
        for (index, message) in messages.enumerated() {
            #expect(message.first == UInt8(index))
            #expect(message.dropFirst() == request.dropFirst())
        }
        #expect(record.status == .ok)
    }

    @Test func deadlineDuringAStreamEndsWithTrailers() throws {
        // Replies too large to drain keep the handler waiting; the deadline then ends the call
        // with trailers after the headers already sent.
        var settings = HTTP2Session.Settings()
        settings.initialWindowSize = 65_535
        let connection = try EmbeddedConnection(services: [TestService()], clientSettings: settings)
        defer { try? connection.close() }
        let request = [UInt8(10)] + [UInt8](repeating: 1, count: 600_000)
        let stream = connection.client.session.submitRequest(headers: [
            HeaderField(":method", "POST"), HeaderField(":scheme", "http"), HeaderField(":path", TestService.stream),
            HeaderField(":authority", "localhost"), HeaderField("content-type", "application/grpc"),
            HeaderField("grpc-timeout", "1S"),
        ])
        let id = try #require(stream)
        connection.client.session.enqueue(stream: id, bytes: MessageFraming.frame(request), end: true)
        // Deliver the request but let no response bytes back, so the client's window stays shut.
        connection.loop.run()
        if let output = try connection.client.session.drainOutput(allocator: connection.channel.allocator) {
            try connection.channel.writeInbound(output)
        }
        connection.loop.run()
        connection.loop.advanceTime(by: .seconds(1))
        try connection.exchange()
        let record = connection.client[id]
        #expect(record.headerBlocks.count == 2)
        #expect(record.status == .deadlineExceeded)
        #expect(try record.messages().count < 10)
    }

    @Test func unknownMethodIsTrailersOnlyUnimplemented() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall("/no.Such/Method", body: MessageFraming.frame([1]))
        let record = connection.client[stream]
        #expect(record.isTrailersOnly)
        let headers = try #require(record.headers)
        #expect(value(":status", in: headers) == "200")
        #expect(value("content-type", in: headers) == "application/grpc")
        #expect(value("grpc-status", in: headers) == "12")
        #expect(record.message?.contains("/no.Such/Method") == true)
        #expect(record.data.isEmpty)
        #expect(record.closedWith == 0)
    }

    @Test func wrongContentTypeGets415() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.echo, contentType: "text/plain", body: [1, 2, 3])
        let record = connection.client[stream]
        #expect(record.isTrailersOnly)
        #expect(record.headers.flatMap { value(":status", in: $0) } == "415")
        #expect(record.status == .unimplemented)
        #expect(record.message?.contains("text/plain") == true)
    }

    @Test func rejectionBeforeTheBodyEndsResetsTheRequestAfterTheAnswer() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        // The request stays open: the answer comes first, then RST_STREAM NO_ERROR.
        let stream = try connection.startCall("/no.Such/Method", body: [], end: false)
        let record = connection.client[stream]
        #expect(record.status == .unimplemented)
        #expect(record.closedWith == 0)
    }

    @Test func deadlineExpiresOnTheEventLoopClock() throws {
        let service = TestService()
        let connection = try EmbeddedConnection(services: [service])
        defer { try? connection.close() }
        let stream = try connection.startCall(
            TestService.sleep, headers: [HeaderField("grpc-timeout", "1m")], body: sleepForAMinute)
        #expect(service.started == 1)
        #expect(connection.client[stream].headerBlocks.isEmpty, "no answer before the deadline")

        connection.loop.advanceTime(by: .microseconds(999))
        try connection.exchange()
        #expect(connection.client[stream].headerBlocks.isEmpty, "no answer before the deadline")

        connection.loop.advanceTime(by: .microseconds(1))
        try connection.exchange()
        let record = connection.client[stream]
        #expect(record.isTrailersOnly)
        #expect(record.status == .deadlineExceeded)
        #expect(record.message?.contains(TestService.sleep) == true)
        // Ending the call cancelled the handler.
        #expect(service.cancelled == 1)
    }

    /// One timer serves a connection's deadlines: a later call with an earlier deadline must
    /// still expire first, and each call at its own time.
    @Test func eachCallExpiresAtItsOwnDeadline() throws {
        let service = TestService()
        let connection = try EmbeddedConnection(services: [service])
        defer { try? connection.close() }
        let slow = try connection.startCall(
            TestService.sleep, headers: [HeaderField("grpc-timeout", "5m")], body: sleepForAMinute)
        let fast = try connection.startCall(
            TestService.sleep, headers: [HeaderField("grpc-timeout", "1m")], body: sleepForAMinute)
        let done = try connection.startCall(
            TestService.echo, headers: [HeaderField("grpc-timeout", "2m")], body: MessageFraming.frame([7]))

        connection.loop.advanceTime(by: .milliseconds(1))
        try connection.exchange()
        #expect(connection.client[fast].status == .deadlineExceeded)
        #expect(connection.client[slow].headerBlocks.isEmpty, "no answer before its deadline")

        connection.loop.advanceTime(by: .milliseconds(3))
        try connection.exchange()
        #expect(connection.client[slow].headerBlocks.isEmpty, "no answer before its deadline")
        connection.loop.advanceTime(by: .milliseconds(1))
        try connection.exchange()
        #expect(connection.client[slow].status == .deadlineExceeded)
        #expect(connection.client[done].status == .ok, "a call that ended in time is not expired later")
        #expect(service.cancelled == 2)
    }

    @Test func clientResetCancelsTheHandler() throws {
        let service = TestService()
        let connection = try EmbeddedConnection(services: [service])
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.sleep, body: sleepForAMinute)
        #expect(service.started == 1)
        #expect(service.cancelled == 0)

        connection.client.session.resetStream(stream, errorCode: http2Cancel)
        try connection.exchange()
        #expect(service.cancelled == 1)
        let record = connection.client[stream]
        #expect(record.headerBlocks.isEmpty, "a reset call gets no response")
        #expect(record.closedWith == http2Cancel)
        #expect(connection.channel.isActive)

        // The connection still serves other calls.
        let next = try connection.startCall(TestService.echo, body: MessageFraming.frame([4]))
        #expect(connection.client[next].status == .ok)
    }

    @Test func oversizedMessageIsRefusedBeforeItsBody() throws {
        var configuration = ServerConfiguration()
        configuration.limits.maxReceiveMessageLength = 16
        let connection = try EmbeddedConnection(services: [TestService()], configuration: configuration)
        defer { try? connection.close() }
        // Only the prefix (17 bytes declared) and the stream stays open.
        let stream = try connection.startCall(TestService.echo, body: [0, 0, 0, 0, 17], end: false)
        let record = connection.client[stream]
        #expect(record.isTrailersOnly)
        #expect(record.status == .resourceExhausted)
        #expect(record.message?.contains("17") == true)
        // The rest of the upload is stopped with RST_STREAM NO_ERROR after the answer.
        #expect(record.closedWith == 0)
    }

    @Test func messageAtTheLimitIsAccepted() throws {
        var configuration = ServerConfiguration()
        configuration.limits.maxReceiveMessageLength = 16
        let connection = try EmbeddedConnection(services: [TestService()], configuration: configuration)
        defer { try? connection.close() }
        let stream = try connection.startCall(TestService.echo, body: MessageFraming.frame(Array(0..<16)))
        #expect(connection.client[stream].status == .ok)
    }

    @Test func garbageInsteadOfThePrefaceClosesTheConnection() throws {
        let connection = try EmbeddedConnection(services: [TestService()], handshake: false)
        defer { try? connection.close() }
        #expect(connection.channel.isActive)
        let garbage = Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        try connection.channel.writeInbound(connection.channel.allocator.buffer(bytes: garbage))
        connection.loop.run()
        #expect(!connection.channel.isActive)
    }

    @Test func garbageAfterThePrefaceGetsGoAwayAndClose() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let garbage = Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        try connection.channel.writeInbound(connection.channel.allocator.buffer(bytes: garbage))
        try connection.exchange()
        #expect(!connection.channel.isActive)
        let goAway = try #require(connection.serverFrames.goAways.last)
        #expect(goAway.errorCode != 0, "a protocol error, not a graceful GOAWAY")
    }

    @Test func gracefulShutdownSendsGoAwayAndFinishesTheCallInFlight() throws {
        let gated = GatedService()
        let connection = try EmbeddedConnection(services: [gated, TestService()])
        defer { try? connection.close() }
        let inFlight = try connection.startCall(GatedService.path, body: MessageFraming.frame([7]))
        #expect(gated.started == 1)

        connection.channel.pipeline.fireUserInboundEventTriggered(GracefulShutdownEvent())
        try connection.exchange()
        // First the shutdown notice (last stream 2^31-1), then, after the PING round trip, the
        // final GOAWAY naming the one stream that will be served.
        let goAways = connection.client.goAways
        #expect(goAways.map(\.lastStream) == [Int32.max, inFlight])
        #expect(goAways.allSatisfy { $0.errorCode == 0 })
        #expect(connection.client[inFlight].headerBlocks.isEmpty)
        #expect(connection.channel.isActive, "the connection stays open while a call is in flight")

        gated.open()
        try connection.exchange()
        let record = connection.client[inFlight]
        #expect(record.status == .ok)
        #expect(try record.messages() == [[7]])
        // With its last stream done the drained connection closes itself.
        #expect(!connection.channel.isActive)
    }

    @Test func gracefulShutdownWaitsForARequestStillUploading() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        let framed = MessageFraming.frame([1, 2, 3, 4])
        let stream = try connection.startCall(TestService.echo, body: Array(framed[0..<6]), end: false)

        connection.channel.pipeline.fireUserInboundEventTriggered(GracefulShutdownEvent())
        try connection.exchange()
        #expect(connection.client.goAways.map(\.lastStream) == [Int32.max, stream])
        #expect(connection.channel.isActive)

        try connection.send(stream: stream, Array(framed[6...]), end: true)
        #expect(try connection.client[stream].messages() == [[1, 2, 3, 4]])
        #expect(connection.client[stream].status == .ok)
        #expect(!connection.channel.isActive)
    }

    /// The server writes its PING ahead of the shutdown notice, so a client may acknowledge the
    /// PING and open a stream before it reads the notice. When the ack and the new stream arrive
    /// in one read, the final GOAWAY is only decided after the whole read, so it names the new
    /// stream, which is served; a stream the GOAWAY refused must never have started a handler.
    @Test func streamArrivingWithThePingAckIsServedNotRefused() throws {
        let gated = GatedService()
        let service = TestService()
        let connection = try EmbeddedConnection(services: [gated, service])
        defer { try? connection.close() }
        _ = try connection.startCall(GatedService.path, body: MessageFraming.frame([7]))

        // The client's next call, encoded before it sees anything of the shutdown.
        let late = try #require(
            connection.client.session.submitRequest(headers: [
                HeaderField(":method", "POST"), HeaderField(":scheme", "http"),
                HeaderField(":path", TestService.sleep), HeaderField(":authority", "localhost"),
                HeaderField("content-type", "application/grpc"),
            ]))
        connection.client.session.enqueue(stream: late, bytes: sleepForAMinute, end: true)
        var request = try #require(try connection.client.session.drainOutput(allocator: connection.channel.allocator))

        connection.channel.pipeline.fireUserInboundEventTriggered(GracefulShutdownEvent())
        connection.loop.run()
        while let bytes = try connection.channel.readOutbound(as: ByteBuffer.self) {
            try bytes.withUnsafeReadableBytes { try connection.client.session.receive($0) }
        }
        // PING ACK first, then the new stream, in one read.
        var inbound = try #require(try connection.client.session.drainOutput(allocator: connection.channel.allocator))
        inbound.writeBuffer(&request)
        try connection.channel.writeInbound(inbound)
        try connection.exchange()

        #expect(connection.client.goAways.last?.lastStream == late)
        #expect(connection.client[late].closedWith != 7, "not REFUSED_STREAM")
        #expect(service.started == 1, "the accepted stream is served")
        gated.open()
        try connection.exchange()
    }

    @Test func gracefulShutdownOfAnIdleConnectionCloses() throws {
        let connection = try EmbeddedConnection(services: [TestService()])
        defer { try? connection.close() }
        connection.channel.pipeline.fireUserInboundEventTriggered(GracefulShutdownEvent())
        try connection.exchange()
        // nghttp2's client ignores frames after a GOAWAY when it has no streams, so the final
        // GOAWAY is checked on the wire.
        #expect(connection.serverFrames.goAways.map(\.lastStream) == [Int32.max, 0])
        #expect(connection.serverFrames.goAways.allSatisfy { $0.errorCode == 0 })
        #expect(!connection.channel.isActive)
    }

    @Test func closingTheConnectionCancelsRunningHandlers() throws {
        let service = TestService()
        let connection = try EmbeddedConnection(services: [service])
        _ = try connection.startCall(TestService.sleep, body: sleepForAMinute)
        _ = try connection.startCall(TestService.sleep, body: sleepForAMinute)
        #expect(service.started == 2)
        try connection.close()
        #expect(service.cancelled == 2)
    }
}

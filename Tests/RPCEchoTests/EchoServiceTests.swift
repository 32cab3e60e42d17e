import RPCCore
import RPCEcho
import Synchronization
import Testing

/// Collects what a handler writes, in order.
private final class StreamSink: ResponseStreamSink, Sendable {
    let messages: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation

    init() {
        (messages, continuation) = AsyncStream.makeStream()
    }

    func write(_ message: [UInt8]) async throws {
        continuation.yield(message)
    }

    func finish() { continuation.finish() }
}

/// Records the methods whose handlers reported a cancellation.
private final class CancelRecorder: Sendable {
    private let methods = Mutex<[String]>([])
    var recorded: [String] { methods.withLock { $0 } }
    func record(_ method: String) { methods.withLock { $0.append(method) } }
}

@Suite("Echo")
struct EchoServiceTests {
    private func context(_ method: String) -> ServerContext {
        ServerContext(method: method, metadata: [:], deadline: nil, peer: "test")
    }

    private func method(_ path: String, of service: EchoService) throws -> MethodHandler {
        try #require(service.methods.first { $0.path == path })
    }

    @Test func messagesRoundTrip() throws {
        for request in [
            EchoRequest(), EchoRequest(payload: [1, 2, 3], count: 7, delayMilliseconds: 250),
            EchoRequest(payload: [UInt8](repeating: 0xAB, count: 1 << 20), count: UInt32.max),
        ] {
            #expect(try EchoRequest(wireBytes: request.wireBytes()) == request)
        }
        for response in [EchoResponse(), EchoResponse(payload: Array("hi".utf8), index: 41)] {
            #expect(try EchoResponse(wireBytes: response.wireBytes()) == response)
        }
    }

    @Test func garbageIsInternal() {
        #expect(throws: RPCError(.internal, "could not decode rpctest.EchoRequest: invalid protobuf")) {
            try EchoRequest(wireBytes: [0x0A, 0x05, 0x01])
        }
        #expect(throws: RPCError(.internal, "could not decode rpctest.EchoResponse: invalid protobuf")) {
            try EchoResponse(wireBytes: [0xFF])
        }
    }

    @Test func servesGetAndExpand() {
        let methods = EchoService().methods
        #expect(methods.map(\.path) == ["/rpctest.Echo/Get", "/rpctest.Echo/Expand"])
        #expect(methods.map(\.kind) == [.unary, .serverStreaming])
    }

    @Test func getEchoesThePayload() async throws {
        let get = try method(EchoMethods.get, of: EchoService())
        let reply = try await get.run(
            EchoRequest(payload: [9, 8, 7], delayMilliseconds: 1).wireBytes(), context(get.path), StreamSink())
        #expect(try EchoResponse(wireBytes: #require(reply)) == EchoResponse(payload: [9, 8, 7], index: 0))
    }

    @Test func expandWritesCountIndexedReplies() async throws {
        let expand = try method(EchoMethods.expand, of: EchoService())
        let sink = StreamSink()
        let reply = try await expand.run(EchoRequest(payload: [5], count: 4).wireBytes(), context(expand.path), sink)
        #expect(reply == nil)
        sink.finish()
        var replies: [EchoResponse] = []
        for await message in sink.messages { replies.append(try EchoResponse(wireBytes: message)) }
        #expect(replies == (0..<4).map { EchoResponse(payload: [5], index: $0) })
    }

    @Test(arguments: [EchoMethods.get, EchoMethods.expand])
    func cancellationInterruptsTheDelayAndIsObserved(path: String) async throws {
        let recorder = CancelRecorder()
        let handler = try method(path, of: EchoService(onCancelled: recorder.record))
        let call = Task {
            // An hour: the test only finishes if cancellation interrupts the sleep.
            try await handler.run(
                EchoRequest(count: 2, delayMilliseconds: 3_600_000).wireBytes(), context(path), StreamSink())
        }
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(recorder.recorded == [path])
    }

    @Test func completedCallsReportNoCancellation() async throws {
        let recorder = CancelRecorder()
        let get = try method(EchoMethods.get, of: EchoService(onCancelled: recorder.record))
        _ = try await get.run(EchoRequest().wireBytes(), context(get.path), StreamSink())
        #expect(recorder.recorded.isEmpty)
    }
}

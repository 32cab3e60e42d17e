import RPCCore
import Synchronization
import Testing

@testable import ServiceKit

/// Bytes as a message, for handlers under test.
private struct Blob: WireMessage {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(wireBytes: UnsafeRawBufferPointer) { bytes = Array(wireBytes) }
    func wireBytes() -> [UInt8] { bytes }
}

private struct SampleService: RPCService {
    let gate: Gate

    var methods: [MethodHandler] {
        [
            .unary("/test.Sample/Echo") { (request: Blob, _) in request },
            .unary("/test.Sample/Fail") { (_: Blob, _) -> Blob in throw RPCError(.notFound, "no such thing") },
            .unary("/test.Sample/Wait") { [gate] (request: Blob, _) in
                await gate.wait()
                return request
            },
            .serverStreaming("/test.Sample/Stream") { (request: Blob, _, stream: ResponseStream<Blob>) in
                for byte in request.bytes { try await stream.write(Blob([byte])) }
            },
        ]
    }
}

/// Holds callers until opened.
private final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        for waiter in state.withLock({ state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }) { waiter.resume() }
    }
}

/// Collects streamed replies.
private final class CollectingSink: ResponseStreamSink {
    let messages = Mutex<[[UInt8]]>([])
    func write(_ message: [UInt8]) async throws { messages.withLock { $0.append(message) } }
}

private final class RefuseSink: ResponseStreamSink {
    func write(_ message: [UInt8]) async throws { throw RPCError(.internal, "unary") }
}

@Suite("RPC metrics")
struct RPCMetricsTests {
    private func context(_ method: String, deadline: ContinuousClock.Instant? = nil) -> ServerContext {
        ServerContext(method: method, metadata: [:], deadline: deadline, peer: "test")
    }

    @Test func countsEveryCallByMethodAndStatusAndTimesIt() async throws {
        let metrics = ServiceMetrics()
        let gate = Gate()
        let services = InterceptorChain([RPCMetrics(metrics: metrics)]).apply(to: [SampleService(gate: gate)])
        let methods = Dictionary(uniqueKeysWithValues: services.flatMap(\.methods).map { ($0.path, $0) })
        #expect(methods.count == 4)
        #expect(methods["/test.Sample/Stream"]?.kind == .serverStreaming)

        for _ in 0..<3 {
            let reply = try await methods["/test.Sample/Echo"]!.run([1, 2], context("/test.Sample/Echo"), RefuseSink())
            #expect(reply == [1, 2])
        }
        for _ in 0..<2 {
            await #expect(throws: RPCError(.notFound, "no such thing")) {
                _ = try await methods["/test.Sample/Fail"]!.run([], context("/test.Sample/Fail"), RefuseSink())
            }
        }
        let sink = CollectingSink()
        #expect(try await methods["/test.Sample/Stream"]!.run([7, 8, 9], context("/test.Sample/Stream"), sink) == nil)
        #expect(sink.messages.withLock { $0 } == [[7], [8], [9]])

        // A call that is still running shows in flight, and as an active stream.
        let waiting = Task { try await methods["/test.Sample/Wait"]!.run([5], context("/test.Sample/Wait"), RefuseSink()) }
        var values: [String: Double] = [:]
        for _ in 0..<500 {
            values = parseExposition(String(decoding: metrics.exposition(), as: UTF8.self))
            if values[#"rpc_server_requests_in_flight{method="/test.Sample/Wait"}"#] == 1 { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(values[#"rpc_server_requests_in_flight{method="/test.Sample/Wait"}"#] == 1)
        #expect(values["rpc_server_active_streams"] == 1)
        gate.open()
        #expect(try await waiting.value == [5])

        values = parseExposition(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(values[#"rpc_server_requests_total{method="/test.Sample/Echo",code="OK"}"#] == 3)
        #expect(values[#"rpc_server_requests_total{method="/test.Sample/Fail",code="NOT_FOUND"}"#] == 2)
        // Every method has its OK series from the start, so rates work before the first success.
        #expect(values[#"rpc_server_requests_total{method="/test.Sample/Fail",code="OK"}"#] == 0)
        #expect(values[#"rpc_server_requests_total{method="/test.Sample/Stream",code="OK"}"#] == 1)
        #expect(values[#"rpc_server_requests_total{method="/test.Sample/Wait",code="OK"}"#] == 1)
        #expect(values[#"rpc_server_requests_in_flight{method="/test.Sample/Wait"}"#] == 0)
        #expect(values["rpc_server_active_streams"] == 0)
        #expect(values[#"rpc_server_request_duration_seconds_count{method="/test.Sample/Echo"}"#] == 3)
        // Sub-millisecond answers land in sub-millisecond buckets.
        #expect(values[#"rpc_server_request_duration_seconds_bucket{method="/test.Sample/Echo",le="0.00005"}"#] != nil)
        #expect((values[#"rpc_server_request_duration_seconds_bucket{method="/test.Sample/Echo",le="0.001"}"#] ?? 0) >= 1)
    }

    @Test func aCallPastItsDeadlineCountsAsDeadlineExceeded() async throws {
        let metrics = ServiceMetrics()
        let method = InterceptorChain([RPCMetrics(metrics: metrics)]).apply(
            to: .unary("/test.Sample/Slow") { (request: Blob, _: ServerContext) in
                try await Task.sleep(for: .milliseconds(20))
                return request
            })
        _ = try? await method.run([], context("/test.Sample/Slow", deadline: .now + .milliseconds(1)), RefuseSink())
        let values = parseExposition(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(values[#"rpc_server_requests_total{method="/test.Sample/Slow",code="DEADLINE_EXCEEDED"}"#] == 1)
    }

    @Test func refusedCallsCountUnderTheirMethodOrAsUnknown() {
        let metrics = ServiceMetrics()
        let rpc = RPCMetrics(metrics: metrics)
        rpc.recordRefused(method: "/test.Sample/Echo", code: .resourceExhausted)
        rpc.recordRefused(method: nil, code: .unimplemented)
        rpc.recordRefused(method: nil, code: .unimplemented)
        let values = parseExposition(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(values[#"rpc_server_requests_total{method="/test.Sample/Echo",code="RESOURCE_EXHAUSTED"}"#] == 1)
        #expect(values[#"rpc_server_requests_total{method="unknown",code="UNIMPLEMENTED"}"#] == 2)
    }

    @Test func openConnectionsAndProcessMetricsAreSampledAtScrape() {
        let metrics = ServiceMetrics()
        let connections = ConnectionCount()
        RPCMetrics(metrics: metrics).observeOpenConnections { connections.value }
        ProcessMetrics.register(on: metrics)
        var values = parseExposition(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(values["rpc_server_open_connections"] == 2)
        #expect((values["process_resident_memory_bytes"] ?? 0) > 1_000_000)
        #expect((values["process_open_fds"] ?? 0) >= 3)
        #expect((values["process_max_fds"] ?? 0) > 0)
        #expect(values["process_cpu_seconds_total"] != nil)
        connections.value = 5
        values = parseExposition(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(values["rpc_server_open_connections"] == 5)
    }

    @Test func modelMetricsCountPerVersion() {
        let metrics = ServiceMetrics()
        let models = ModelMetrics(metrics: metrics)
        let v1 = models.version(model: "iris", version: "1")
        v1.queued(for: .microseconds(120))
        v1.computed(rows: 8, duration: .microseconds(300))
        v1.finished(succeeded: true)
        v1.finished(succeeded: false)
        let values = parseExposition(String(decoding: metrics.exposition(), as: UTF8.self))
        let labels = #"model="iris",version="1""#
        #expect(values["model_inference_requests_total{\(labels)}"] == 2)
        #expect(values["model_inference_failures_total{\(labels)}"] == 1)
        #expect(values["model_inference_queue_seconds_bucket{\(labels),le=\"0.00025\"}"] == 1)
        #expect(values["model_inference_queue_seconds_bucket{\(labels),le=\"0.0001\"}"] == 0)
        #expect(values["model_inference_compute_seconds_count{\(labels)}"] == 1)
        #expect(values["model_batch_size_bucket{\(labels),le=\"8.0\"}"] == 1)
        #expect(values["model_batch_size_bucket{\(labels),le=\"4.0\"}"] == 0)
    }
}

/// A connection count the test sets.
private final class ConnectionCount: Sendable {
    private let count = Mutex(2)
    var value: Int {
        get { count.withLock { $0 } }
        set { count.withLock { $0 = newValue } }
    }
}

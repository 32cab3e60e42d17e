import Foundation
import Logging
import RPCCore
import Synchronization
import Testing

@testable import ServiceKit

#if canImport(Glibc)
import Glibc
#endif

/// Writes nothing: the handlers under test return one message.
private struct DiscardingSink: ResponseStreamSink {
    func write(_ message: [UInt8]) async throws {}
}

@Suite("access log")
struct AccessLogUnitTests {
    private static let methods: [MethodHandler] = [
        MethodHandler(path: "/inference.GRPCInferenceService/ModelInfer", kind: .unary) { request, context, _ in
            context.annotations.note(model: "iris", version: "2", requestID: "req-1")
            if request == [0] { throw RPCError(.unavailable, "no replica of iris version 2 is ready") }
            return request
        },
        MethodHandler(path: "/grpc.health.v1.Health/Check", kind: .unary) { request, _, _ in request },
    ]

    /// Runs each (method, request) through an access log in `mode` and returns its JSON lines.
    private func lines(_ mode: AccessLogMode, calls: [(Int, [UInt8], [String: String])]) async -> [[String: String]] {
        let captured = Mutex<[String]>([])
        var handler = JSONLogHandler(label: "access", service: "gateway", sink: { line in captured.withLock { $0.append(line) } })
        handler.logLevel = .info
        let log = AccessLog(mode: mode, logger: Logger(label: "access") { _ in handler })
        let methods = Self.methods.map(InterceptorChain([log]).apply(to:))
        for (index, request, metadata) in calls {
            var headers: Metadata = [:]
            for (name, value) in metadata { headers.add(name, value) }
            let context = ServerContext(method: methods[index].path, metadata: headers, deadline: nil, peer: "10.0.0.9:5000")
            _ = try? await methods[index].run(request, context, DiscardingSink())
        }
        return captured.withLock { $0 }.map(Self.flatFields)
    }

    /// The string fields of one JSON line (all access-log fields are strings).
    private static func flatFields(_ line: String) -> [String: String] {
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return (object ?? [:]).compactMapValues { $0 as? String }
    }

    @Test func allModeLogsEveryCallButSuccessfulProbes() async {
        let output = await lines(
            .all,
            calls: [
                (0, [1, 2], ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]),
                (1, [], [:]),
                (0, [0], [:]),
            ])
        #expect(output.count == 2)
        #expect(output[0]["message"] == "ModelInfer OK")
        #expect(output[0]["level"] == "info")
        #expect(output[0]["service"] == "gateway")
        #expect(output[0]["model"] == "iris" && output[0]["version"] == "2" && output[0]["request_id"] == "req-1")
        #expect(output[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(output[0]["peer"] == "10.0.0.9:5000")
        #expect(output[0]["error"] == nil)
        #expect(output[1]["message"] == "ModelInfer UNAVAILABLE")
        #expect(output[1]["level"] == "warning", "a server-side failure")
        #expect(output[1]["error"] == "no replica of iris version 2 is ready")
        #expect(output[1]["trace_id"]?.count == 32)
    }

    @Test func errorsModeLogsOnlyFailuresAndOffLogsNothing() async {
        let calls: [(Int, [UInt8], [String: String])] = [(0, [1], [:]), (0, [0], [:]), (1, [], [:])]
        let errors = await lines(.errors, calls: calls)
        #expect(errors.map { $0["status"] } == ["UNAVAILABLE"])
        #expect(await lines(.off, calls: calls).isEmpty)
    }

    @Test func durationsAreMillisecondsWithMicrosecondDigits() {
        #expect(AccessLog.milliseconds(.microseconds(412)) == "0.412")
        #expect(AccessLog.milliseconds(.milliseconds(1234) + .microseconds(5)) == "1234.005")
        #expect(AccessLog.milliseconds(.zero) == "0.000")
    }
}

import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--access-log` on a real worker: one JSON line per finished call with the fields an SRE
/// searches by, the caller's trace id kept, and no payload.
@Suite("model-worker access log")
struct AccessLogTests {
    @Test func everyCallGetsAJSONLineWithModelVersionIdsStatusAndDuration() async throws {
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let access = try await accessLines(
            version: 3, flags: ["--access-log", "all"], traceparent: "00-\(traceID)-00f067aa0ba902b7-01")
        // The health probe that succeeded is not logged; the three ModelInfer calls are.
        #expect(access.count == 3, "\(access)")
        let traced = try #require(access.first { $0["request_id"] as? String == "req-7" })
        #expect(traced["service"] as? String == "model-worker")
        #expect(traced["message"] as? String == "ModelInfer OK")
        #expect(traced["level"] as? String == "info")
        #expect(traced["status"] as? String == "OK")
        #expect(traced["model"] as? String == "iris")
        #expect(traced["version"] as? String == "3")
        #expect(traced["trace_id"] as? String == traceID)
        #expect(traced["method"] as? String == "/inference.GRPCInferenceService/ModelInfer")
        #expect(Double(traced["duration_ms"] as? String ?? "") != nil)
        #expect(traced["time"] is String && traced["peer"] is String)
        #expect(traced["error"] == nil && traced["X"] == nil)

        // Without a traceparent the worker starts a trace id of its own.
        let untraced = try #require(access.first { $0["request_id"] as? String == "req-8" })
        let ownTrace = untraced["trace_id"] as? String ?? ""
        #expect(ownTrace.count == 32 && ownTrace != traceID && ownTrace.allSatisfy(\.isHexDigit))

        let failed = try #require(access.first { $0["request_id"] as? String == "req-9" })
        #expect(failed["status"] as? String == "NOT_FOUND")
        #expect(failed["message"] as? String == "ModelInfer NOT_FOUND")
        #expect((failed["error"] as? String ?? "").contains("unknown model 'no-such-model'"))
        #expect(failed["version"] == nil)
    }

    @Test func theDefaultLogsOnlyFailedCalls() async throws {
        let access = try await accessLines(version: 1, flags: [], traceparent: "not-a-traceparent")
        #expect(access.map { $0["request_id"] as? String } == ["req-9"], "\(access)")
    }

    /// Runs a JSON-logging worker serving iris at `version` with `flags`, makes the calls of
    /// access_log_calls.py (checking their statuses), stops the worker and returns its access lines.
    private func accessLines(version: Int, flags: [String], traceparent: String) async throws -> [[String: Any]] {
        let repository = try FixtureRepository()
        try repository.add("iris", version: version, fixture: "logreg_iris")
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let worker = try await WorkerProcess.start(
            ["--model-repository", repository.root, "--log-format", "json"] + flags, standardError: log)
        let result = try await PythonPeer.json("access_log_calls.py", [String(worker.port), "iris", traceparent])
        #expect(result["codes"] as? [String] == ["OK", "OK", "NOT_FOUND", "OK"])
        worker.send(SIGTERM)
        #expect(await worker.exitStatus() == 0)
        try log.close()
        return try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }.filter { $0["logger"] as? String == "access" }
    }
}

import Foundation
import TestSupport
import Testing

/// `--otlp-endpoint`: the gateway and the worker each export a server span per call over
/// OTLP/HTTP, in the caller's trace, the worker's span a child of the gateway's.
@Suite("span export")
struct SpanExportTests {
    @Test func gatewayAndWorkerSpansJoinTheCallersTrace() async throws {
        let scratch = try GatewayScratch()
        let spansPath = "\(scratch.root)/spans.jsonl"
        let collector = try await PythonServer.start("otlp_collector.py", [spansPath])
        defer { collector.stop() }
        let export = ["--otlp-endpoint", "http://127.0.0.1:\(collector.port)"]
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository",
                try scratch.repository("v1", version: 1), "--log-level", "warning",
            ] + export)
        try scratch.writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(worker.port)"]}
            """)
        let gateway = try await Mesh.gateway(scratch, extra: export)
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let result = try await PythonPeer.json(
            "access_log_calls.py", [String(gateway.port), "iris", "00-\(traceID)-00f067aa0ba902b7-01"])
        #expect(result["codes"] as? [String] == ["OK", "OK", "NOT_FOUND", "OK"])
        // A graceful stop sends the spans still queued.
        #expect(await gateway.terminate() == 0)
        #expect(await worker.terminate() == 0)
        collector.stop()

        let spans = try String(contentsOfFile: spansPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        func attributes(_ span: [String: Any]) -> [String: Any] { span["attributes"] as? [String: Any] ?? [:] }
        let infer = "inference.GRPCInferenceService/ModelInfer"
        let gatewaySpan = try #require(
            spans.first {
                $0["service"] as? String == "gateway" && attributes($0)["inference.request_id"] as? String == "req-7"
            }, "\(spans)")
        #expect(gatewaySpan["name"] as? String == infer)
        #expect(gatewaySpan["trace_id"] as? String == traceID)
        #expect(gatewaySpan["parent_span_id"] as? String == "00f067aa0ba902b7")
        #expect(gatewaySpan["kind"] as? Int == 2, "SPAN_KIND_SERVER")
        #expect(gatewaySpan["path"] as? String == "/v1/traces")
        #expect(gatewaySpan["content_type"] as? String == "application/x-protobuf")
        #expect(attributes(gatewaySpan)["inference.model"] as? String == "iris")
        #expect(attributes(gatewaySpan)["inference.model_version"] as? String == "1")
        #expect(attributes(gatewaySpan)["rpc.grpc.status_code"] as? Int == 0)
        #expect(attributes(gatewaySpan)["rpc.system"] as? String == "grpc")

        let workerSpan = try #require(
            spans.first {
                $0["service"] as? String == "model-worker" && attributes($0)["inference.request_id"] as? String == "req-7"
            }, "\(spans)")
        #expect(workerSpan["name"] as? String == infer)
        #expect(workerSpan["trace_id"] as? String == traceID)
        #expect(workerSpan["parent_span_id"] as? String == gatewaySpan["span_id"] as? String)
        #expect(attributes(workerSpan)["inference.model_version"] as? String == "1")

        // A call without a traceparent starts a trace at the gateway that the worker joins.
        let started = try #require(
            spans.first {
                $0["service"] as? String == "gateway" && attributes($0)["inference.request_id"] as? String == "req-8"
            })
        let startedTrace = started["trace_id"] as? String
        #expect(startedTrace != traceID && started["parent_span_id"] == nil)
        #expect(spans.contains { $0["service"] as? String == "model-worker" && $0["trace_id"] as? String == startedTrace })

        let failed = try #require(
            spans.first {
                $0["service"] as? String == "gateway" && attributes($0)["inference.request_id"] as? String == "req-9"
            })
        #expect(failed["status_code"] as? Int == 2, "STATUS_CODE_ERROR")
        #expect(attributes(failed)["rpc.grpc.status_code"] as? Int == 5)
    }
}

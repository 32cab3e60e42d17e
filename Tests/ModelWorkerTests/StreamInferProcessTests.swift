import Foundation
import TestSupport
import Testing

@Suite("ModelStreamInfer on a model-worker process", .serialized)
struct StreamInferProcessTests {
    /// tritonclient's streaming API against the example repository (both iris versions, dynamic
    /// batching): 200 requests on one stream, a bad one in the middle.
    @Test func tritonClientStreamAnswersInOrderLikeModelInfer() async throws {
        let models = PythonPeer.repositoryRoot.appendingPathComponent("examples/models").path
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository", models, "--log-level",
                "warning",
            ])
        let oracles = [1, 2].flatMap { ["--oracle", "\($0)=\(models)/iris/\($0)/model.onnx"] }

        // Version 1 by name, and the worker's choice (the latest, 2).
        for (version, answering) in [("1", "1"), ("", "2")] {
            let result = try await PythonPeer.json(
                "stream_infer_checks.py",
                [String(worker.port), "iris", "--count", "200", "--bad-at", "100", "--version", version] + oracles)
            #expect(result["answers"] as? Int == 200)
            #expect(result["in_order"] as? Bool == true, "first out of order: \(result["first_out_of_order"] ?? "none")")
            let errors = result["errors"] as? [String] ?? []
            #expect(errors.count == 1 && errors.first?.hasPrefix("input 'X' has shape [2, 3]") == true, "\(errors)")
            #expect(result["versions"] as? [String: Int] == [answering: 199])
            #expect(result["model_infer_mismatches"] as? Int == 0)
            #expect(result["oracle_checked"] as? Int == 199)
            #expect(result["oracle_mismatches"] as? Int == 0, "answers differ from onnxruntime")
        }
        #expect(await worker.terminate() == 0)
    }
}

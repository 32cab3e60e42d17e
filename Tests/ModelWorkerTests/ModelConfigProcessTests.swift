import Foundation
import TestSupport
import Testing

/// Triton's ModelConfig on a real worker and through a real gateway, driven by perf_analyzer's
/// call sequence (metadata, config, infer shaped from the config) with tritonclient over gRPC
/// and HTTP; answers checked against onnxruntime.
@Suite("Triton ModelConfig and perf_analyzer's sequence")
struct ModelConfigProcessTests {
    @Test func perfAnalyzerSequenceAgainstAWorker() async throws {
        let repository = try FixtureRepository()
        try repository.config("iris", "max_batch_size: 16\ndynamic_batching: {max_queue_delay_microseconds: 100}")
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
                "--model-repository", repository.root, "--log-level", "warning",
            ],
            readingHTTPPort: true)
        let result = try await PythonPeer.json(
            "perf_analyzer_sequence.py",
            [String(worker.port), String(try #require(worker.httpPort)), "iris", "\(repository.root)/iris/1/model.onnx"])
        for transport in ["grpc", "http"] {
            let answer = try #require(result[transport] as? [String: Any], "\(transport)")
            #expect(answer["metadata_name"] as? String == "iris")
            #expect(answer["labels_equal"] as? Bool == true, "\(transport): labels differ from onnxruntime")
            let config = answer["config"] as? [String: Any] ?? [:]
            #expect(
                config["name"] as? String == "iris" && config["platform"] as? String == "onnxruntime_onnx",
                "\(transport): \(config)")
            #expect(config["max_batch_size"] as? Int == 16)
            // Triton writes dims without the batch dimension when the model batches.
            let input = (config["inputs"] as? [[Any]])?.first ?? []
            #expect(
                input.count == 3 && input[0] as? String == "X" && input[1] as? String == "TYPE_FP32", "\(transport): \(config)")
            #expect(input.count == 3 && input[2] as? [Int] == [4], "\(transport): \(config)")
            #expect(
                config["outputs"] as? [[String]] == [["label", "TYPE_INT64"], ["probabilities", "TYPE_FP32"]], "\(transport)")
        }
        #expect(await worker.terminate() == 0)
    }
}

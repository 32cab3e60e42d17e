import Foundation
import TestSupport
import Testing

/// The KServe V2 HTTP/REST protocol on a real model-worker's --http-listen port, driven by
/// tritonclient.http (JSON and binary tensors) and plain HTTP, answers checked against
/// onnxruntime, and every bad input a clear status with the process still serving.
@Suite("model-worker over HTTP/REST")
struct RESTProcessTests {
    @Test func tritonHTTPClientAndBadInputs() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let maxBody = 65_536
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
                "--max-message-bytes", String(maxBody), "--model-repository", repository.root, "--log-level", "warning",
            ],
            readingHTTPPort: true)
        let httpPort = try #require(worker.httpPort)
        let result = try await PythonPeer.json(
            "rest_checks.py", ["worker", String(httpPort), "iris", "\(repository.root)/iris/1/model.onnx", String(maxBody)])

        #expect(result["live"] as? Bool == true && result["ready"] as? Bool == true && result["model_ready"] as? Bool == true)
        let server = result["server"] as? [String: Any]
        #expect(server?["name"] as? String == "model-worker")
        let metadata = try #require(result["metadata"] as? [String: Any])
        #expect(metadata["name"] as? String == "iris" && metadata["versions"] as? [String] == ["1"])
        #expect((metadata["inputs"] as? [[String: Any]])?.first?["shape"] as? [Int] == [-1, 4])
        for mode in ["json", "binary"] {
            let answer = try #require(result[mode] as? [String: Any], "\(mode)")
            #expect(answer["id"] as? String == "rest-1", "\(mode)")
            #expect(answer["labels_equal"] as? Bool == true, "\(mode): labels differ from onnxruntime")
            #expect(answer["probabilities_close"] as? Bool == true, "\(mode): probabilities differ from onnxruntime")
        }
        let nested = try #require(result["nested"] as? [String: Any])
        #expect(nested["status"] as? Int == 200 && nested["outputs"] as? [String] == ["label"])
        #expect(nested["labels"] as? [Int] == nested["expected"] as? [Int])
        #expect(result["version_ready"] as? Int == 200)

        let bad = try #require(result["bad"] as? [String: [Any]])
        func expectBad(_ name: String, _ status: Int, _ fragment: String) {
            let entry = bad[name]
            #expect(entry?.first as? Int == status, "\(name): \(entry ?? [])")
            #expect((entry?.last as? String)?.contains(fragment) == true, "\(name): \(entry ?? [])")
        }
        expectBad("bad_json", 400, "not valid JSON")
        expectBad("no_inputs", 400, "inputs must be a non-empty array")
        expectBad("wrong_count", 400, "has 3 elements in data; its shape [2, 4] needs 8")
        expectBad("wrong_type", 400, "element 0 is a string; FP32 needs a number")
        expectBad("unknown_datatype", 400, "unknown datatype 'FP31'")
        expectBad("wrong_input_type", 400, "INT64")
        expectBad("unknown_model", 404, "nope")
        expectBad("truncated_binary", 400, "needs 16 bytes of binary data but 8 are left")
        expectBad("header_length_too_big", 400, "Inference-Header-Content-Length is 999")
        expectBad("oversized", 413, "larger than the limit of \(maxBody)")
        #expect(bad["unknown_path"]?.first as? Int == 404)
        #expect(result["ready_after"] as? Bool == true)
        #expect(await worker.terminate() == 0)
    }
}

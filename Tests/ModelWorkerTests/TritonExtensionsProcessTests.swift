import Foundation
import TestSupport
import Testing

/// Triton's statistics and model repository extensions on a real worker, driven by
/// tritonclient over gRPC and HTTP: explicit loads and unloads (with calls in flight), a
/// configuration override, refused loads, and statistics that count exactly the calls made.
@Suite("Triton statistics and repository control on model-worker")
struct TritonExtensionsProcessTests {
    @Test(arguments: ["grpc", "http"])
    func explicitModelControlAndStatistics(transport: String) async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        try repository.add("other", version: 1, fixture: "logreg_iris")
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
                "--model-repository", repository.root, "--model-control-mode", "explicit", "--load-model", "iris",
                "--log-level", "warning",
            ],
            readingHTTPPort: true)
        let port = transport == "grpc" ? worker.port : try #require(worker.httpPort)
        let result = try await PythonPeer.json(
            "triton_extensions.py", ["worker", transport, String(port), "\(repository.root)/other/1/model.onnx"])
        let notFound = transport == "grpc" ? "NOT_FOUND" : "404"
        let invalid = transport == "grpc" ? "INVALID_ARGUMENT" : "400"

        #expect(
            result["extensions"] as? [String] == ["binary_tensor_data", "model_configuration", "model_repository", "statistics"])
        #expect(
            result["index_before"] as? [[String]] == [["iris", "1", "READY", ""], ["other", "", "UNAVAILABLE", "unloaded"]])
        #expect(result["ready_before"] as? Bool == false)
        #expect(result["load"] as? String == "OK")
        #expect(result["ready_after_load"] as? Bool == true)
        #expect(result["labels_equal"] as? Bool == true, "answers differ from onnxruntime")
        #expect((result["bad_input"] as? [String])?.first == invalid, "\(result["bad_input"] ?? "")")

        // Five calls of two rows succeeded and one failed validation, on a model without batching
        // (so, as in Triton, each call is one inference of batch size 1).
        let stats = try #require((result["stats"] as? [[String: Any]])?.first)
        #expect(stats["name"] as? String == "other" && stats["version"] as? String == "1")
        #expect((stats["success"] as? [Int])?.first == 5, "\(stats)")
        #expect((stats["fail"] as? [Int])?.first == 1, "\(stats)")
        #expect(stats["inference_count"] as? Int == 5, "\(stats)")
        #expect(stats["execution_count"] as? Int == 5, "\(stats)")
        for stage in ["queue", "compute_input", "compute_infer", "compute_output"] {
            let duration = stats[stage] as? [Int] ?? []
            #expect(duration.first == 5 && (duration.last ?? 0) > 0, "\(stage): \(duration)")
        }
        #expect(stats["batch_stats"] as? [[Int]] == [[1, 5]], "\(stats)")
        #expect((stats["last_inference"] as? Int ?? 0) > 1_700_000_000_000)
        #expect(result["stats_all_models"] as? [String] == ["iris", "other"])
        #expect(result["index_loaded"] as? [[String]] == [["iris", "1", "READY", ""], ["other", "1", "READY", ""]])

        // A configuration override replaces config.yaml; a bad one is refused and the model keeps serving.
        #expect(result["override"] as? String == "OK")
        #expect(result["override_max_batch_size"] as? Int == 8)
        let badOverride = result["bad_override"] as? [String] ?? []
        #expect(badOverride.first == invalid && badOverride.last?.contains("max_batch_size") == true, "\(badOverride)")
        #expect(result["serves_after_bad_override"] as? Bool == true)
        let unknown = result["load_unknown"] as? [String] ?? []
        #expect(unknown.first == notFound && unknown.last?.contains("model 'nope' is not in the repository") == true)

        // Unloading with calls in flight: each call succeeds or is refused as unknown, no other failure.
        #expect(result["unload"] as? String == "OK")
        #expect(result["ok_before_unload"] as? Bool == true)
        let outcomes = Set(result["outcomes_during_unload"] as? [String] ?? [])
        #expect(outcomes.isSubset(of: ["OK", notFound]), "\(outcomes)")
        #expect(result["ready_after_unload"] as? Bool == false)
        let afterUnload = result["infer_after_unload"] as? [String] ?? []
        #expect(afterUnload.first == notFound && afterUnload.last?.contains("RepositoryModelLoad") == true, "\(afterUnload)")
        #expect((result["unload_again"] as? [String])?.first == notFound)
        #expect(result["index_after"] as? [[String]] == [["iris", "1", "READY", ""], ["other", "", "UNAVAILABLE", "unloaded"]])
        #expect(await worker.terminate() == 0)
    }

    @Test func pollingWorkersRefuseExplicitLoads() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository", repository.root,
                "--log-level", "warning",
            ])
        let result = try await PythonPeer.json("triton_extensions.py", ["poll", "grpc", String(worker.port)])
        let load = result["load"] as? [String] ?? []
        #expect(load.first == "FAILED_PRECONDITION" && load.last?.contains("--model-control-mode explicit") == true, "\(load)")
        #expect(result["index"] as? [[String]] == [["iris", "1", "READY", ""]])
        #expect(await worker.terminate() == 0)
    }
}

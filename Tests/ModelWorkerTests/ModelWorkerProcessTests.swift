import Foundation
import TestSupport
import Testing

@Suite("model-worker process end to end", .serialized)
struct ModelWorkerProcessTests {
    @Test func tritonClientAndGrpcioAgainstOnnxRuntime() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        try repository.config("iris-batched", "max_batch_size: 64\ndynamic_batching: {max_queue_delay_microseconds: 2000}")
        try repository.add("iris-batched", version: 1, fixture: "forest_iris")
        let worker = try await ServiceProcess.start(
            "model-worker", ["--listen", "127.0.0.1:0", "--model-repository", repository.root, "--log-level", "warning"])

        for (model, fixture) in [("iris", "logreg_iris"), ("iris-batched", "forest_iris")] {
            let modelFile = "\(repository.root)/\(model)/1/model.onnx"
            let result = try await PythonPeer.json("worker_client_checks.py", [String(worker.port), model, modelFile])
            #expect(result["live"] as? Bool == true)
            #expect(result["ready"] as? Bool == true)
            #expect(result["model_ready"] as? Bool == true)
            let server = result["server"] as? [String: Any]
            #expect(server?["name"] as? String == "model-worker")
            #expect(
                (server?["extensions"] as? [String])?.sorted()
                    == ["binary_tensor_data", "model_configuration", "model_repository", "statistics"])
            let metadata = try #require(result["metadata"] as? [String: Any])
            #expect(metadata["name"] as? String == model)
            #expect(metadata["versions"] as? [String] == ["1"])
            #expect(metadata["platform"] as? String == "onnx")
            let inputs = metadata["inputs"] as? [[String: Any]]
            #expect(inputs?.first?["name"] as? String == "X")
            #expect(inputs?.first?["datatype"] as? String == "FP32")
            #expect(inputs?.first?["shape"] as? [Int] == [-1, 4])
            let outputs = metadata["outputs"] as? [[String: Any]]
            #expect(outputs?.compactMap { $0["name"] as? String } == ["label", "probabilities"])
            #expect(outputs?.compactMap { $0["datatype"] as? String } == ["INT64", "FP32"])

            #expect(result["id"] as? String == "req-42", "\(fixture)")
            #expect(result["model_name"] as? String == model)
            #expect(result["model_version"] as? String == "1")
            #expect(result["rows"] as? Int == 64)
            #expect(result["labels_equal"] as? Bool == true, "\(fixture): labels differ from onnxruntime")
            #expect(result["probabilities_close"] as? Bool == true, "\(fixture): probabilities differ from onnxruntime")
            #expect(result["subset_outputs"] as? [String] == ["probabilities"])
            #expect(result["concurrent_rows_ok"] as? Bool == true)
            #expect(result["typed_contents_ok"] as? Bool == true)
            #expect(result["health"] as? String == "SERVING")
            let unknownModel = result["unknown_model"] as? String ?? ""
            #expect(unknownModel.hasPrefix("StatusCode.NOT_FOUND|unknown model 'no-such-model'"), "\(unknownModel)")
            let unknownVersion = result["unknown_version"] as? String ?? ""
            #expect(unknownVersion.hasPrefix("StatusCode.NOT_FOUND|model '\(model)' has no version '99'"), "\(unknownVersion)")
            let wrongType = result["wrong_datatype"] as? String ?? ""
            #expect(wrongType.hasPrefix("StatusCode.INVALID_ARGUMENT|input 'X' has datatype FP64"), "\(wrongType)")
            let wrongShape = result["wrong_shape"] as? String ?? ""
            #expect(wrongShape.contains("INVALID_ARGUMENT|input 'X' has shape [2, 3]"), "\(wrongShape)")
        }
        #expect(await worker.terminate() == 0)
    }

    @Test func hotReloadUnderLoadDropsNothing() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--model-repository", repository.root, "--poll-interval-ms", "100",
                "--log-level", "warning",
            ])
        let result = try await PythonPeer.json(
            "worker_reload_checks.py",
            [String(worker.port), "iris", repository.root, Fixtures.modelPath("logreg_iris"), Fixtures.modelPath("tree_iris")])
        let calls = result["calls"] as? Int ?? 0
        #expect(calls > 20, "too few calls to mean anything: \(calls)")
        #expect((result["calls_before_install"] as? Int ?? 0) > 0)
        #expect(result["failures"] as? Int == 0, "\(result["errors"] ?? "")")
        #expect(result["mismatches"] as? Int == 0)
        let versions = result["versions"] as? [String: Int] ?? [:]
        #expect(versions["1"] ?? 0 > 0 && versions["2"] ?? 0 > 0, "\(versions)")
        #expect(result["first_v2_after_s"] is Double)
        #expect(result["final_version"] as? String == "2")
        #expect(result["versions_listed"] as? [String] == ["2"])
        #expect(await worker.terminate() == 0)
    }

    @Test func aMissingRepositoryIsAClearCommandLineError() async throws {
        let missing = try await runWorker(["--model-repository", "/nonexistent/models"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("--model-repository '/nonexistent/models' is not a directory"), "\(missing.stderr)")

        let none = try await runWorker(["--listen", "127.0.0.1:0"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("--model-repository"), "\(none.stderr)")

        let repository = try FixtureRepository()
        let badListen = try await runWorker(["--model-repository", repository.root, "--listen", "localhost"])
        #expect(badListen.status != 0)
        #expect(badListen.stderr.contains("--listen 'localhost' is not HOST:PORT"), "\(badListen.stderr)")
    }

    /// Runs model-worker to completion (for command-line errors) and returns its exit status and stderr.
    private func runWorker(_ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = ServiceProcess.binaryDirectory.appendingPathComponent("model-worker")
        process.arguments = arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = stderr.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: data)
            }
        }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

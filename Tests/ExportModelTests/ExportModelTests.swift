import Foundation
import TestSupport
import Testing

/// scripts/export-model end to end: models of each framework trained at test time on scikit-learn's
/// bundled datasets with missing values, exported into the repository of a running worker, called
/// with tritonclient and compared with the framework's predict/predict_proba and with onnxruntime.
@Suite("scripts/export-model end to end", .serialized)
struct ExportModelTests {
    @Test("export, serve and compare", arguments: ["sklearn", "xgboost", "lightgbm", "catboost"])
    func exportServeAndCompare(_ framework: String) async throws {
        let work = try TemporaryDirectory()
        let repository = work.path("models")
        try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
        let trained = try await PythonPeer.json("export_models.py", ["train", work.path, framework])
        let models = try #require(trained["models"] as? [[String: Any]])
        #expect(models.count >= 3)
        // The worker runs before the exports: each version must appear on one of its next scans.
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--model-repository", repository, "--poll-interval-ms", "100",
                "--log-level", "warning",
            ])
        for (index, model) in models.enumerated() {
            let name = try #require(model["name"] as? String)
            let fitted = try #require(model["fitted"] as? String)
            let sample = try #require(model["sample"] as? String)
            let kind = try #require(model["kind"] as? String)
            // The first model is batched and verified on the sample, the others on generated rows.
            let flags =
                index == 0
                ? [
                    "--sample", sample, "--max-batch-size", "64", "--max-queue-delay-us", "500", "--preferred-batch-sizes",
                    "8,32",
                ]
                : []
            let export = try await ExportModel.run([fitted, "--name", name, "--repository", repository] + flags)
            #expect(export.status == 0, "\(name): \(export.stderr)")
            #expect(export.stdout.contains("verified on"), "\(name): \(export.stdout)")
            let onnx = "\(repository)/\(name)/1/model.onnx"
            #expect(FileManager.default.fileExists(atPath: onnx))
            let config = try String(contentsOfFile: "\(repository)/\(name)/config.yaml", encoding: .utf8)
            if index == 0 {
                #expect(config.contains("max_batch_size: 64"))
                #expect(config.contains("dynamic_batching: {max_queue_delay_microseconds: 500, preferred_batch_sizes: [8, 32]}"))
            }

            let result = try await PythonPeer.json(
                "export_models.py", ["check", String(worker.port), name, fitted, sample, onnx, kind])
            let rows = try #require(result["rows"] as? Int)
            #expect(rows > 30 && (result["missing"] as? Int ?? 0) > 0, "\(name): the sample must hold missing values")
            let inputs = try #require(result["inputs"] as? [[Any]])
            #expect(inputs.first?[0] as? String == "X" && inputs.first?[1] as? String == "FP32", "\(name): \(inputs)")
            if kind == "classifier" {
                #expect(result["outputs"] as? [String] == ["label", "probabilities"], "\(name)")
                #expect(try #require(result["max_probability_difference_framework"] as? Double) <= 1e-4, "\(name): \(result)")
                #expect(try #require(result["max_probability_difference_onnxruntime"] as? Double) <= 1e-5, "\(name): \(result)")
                #expect(result["label_mismatches_framework"] as? Int == 0, "\(name): \(result)")
                #expect(result["label_mismatches_onnxruntime"] as? Int == 0, "\(name): \(result)")
            } else {
                #expect(result["outputs"] as? [String] == ["predictions"], "\(name)")
                #expect(try #require(result["max_relative_difference_framework"] as? Double) <= 1e-4, "\(name): \(result)")
                #expect(try #require(result["max_relative_difference_onnxruntime"] as? Double) <= 1e-5, "\(name): \(result)")
            }
        }
        #expect(await worker.terminate() == 0)
    }

    @Test("refusals exit 1 with their message and write nothing")
    func refusals() async throws {
        let work = try TemporaryDirectory()
        let trained = try await PythonPeer.json("export_models.py", ["refusals", work.path])
        let cases = try #require(trained["models"] as? [[String: Any]])
        #expect(cases.count >= 7)
        let repository = work.path("models")
        for refusal in cases {
            let name = try #require(refusal["name"] as? String)
            let fitted = try #require(refusal["fitted"] as? String)
            let expected = try #require(refusal["expect"] as? String)
            var arguments = [fitted, "--name", name, "--repository", repository]
            if let sample = refusal["sample"] as? String { arguments += ["--sample", sample] }
            let export = try await ExportModel.run(arguments)
            #expect(export.status == 1, "\(name): \(export.stdout) \(export.stderr)")
            #expect(export.stderr.hasPrefix("export-model: refused: "), "\(name): \(export.stderr)")
            #expect(export.stderr.contains(expected), "\(name): \(export.stderr)")
            #expect(!export.stderr.contains("Traceback"), "\(name): \(export.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(repository)/\(name)/1"), "\(name) was written")
        }
    }

    @Test("help, usage errors and missing packages (exit 2), next free version, an existing version (exit 1)")
    func commandLine() async throws {
        let help = try await ExportModel.run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("usage: export-model") && help.stdout.contains("Exit status"))
        let missing = try await ExportModel.run(["/no/such/model.joblib", "--name", "m", "--repository", "/tmp"])
        #expect(missing.status == 2 && missing.stderr.contains("export-model: error: /no/such/model.joblib: no such file"))
        let noName = try await ExportModel.run(["/no/such/model.joblib", "--repository", "/tmp"])
        #expect(noName.status == 2 && noName.stderr.contains("the following arguments are required: --name"))
        let batching = try await ExportModel.run(["x", "--name", "m", "--repository", "/tmp", "--preferred-batch-sizes", "8"])
        #expect(batching.status == 2 && batching.stderr.contains("need --max-batch-size"))

        // python -S leaves out site-packages: the scripts name what to install instead of a traceback.
        let bare = try await ExportModel.run(["x", "--name", "m", "--repository", "/tmp"], pythonOptions: ["-S"])
        #expect(
            bare.status == 2 && bare.stderr == "error: missing Python package: pip install numpy onnx joblib\n", "\(bare.stderr)")
        let pipeline = try await ExportModel.run(
            ["x", "--name", "m", "--output", "/tmp/m.yaml"], script: "scripts/export-pipeline",
            pythonOptions: ["-S"])
        #expect(pipeline.status == 2, "\(pipeline.stderr)")
        #expect(
            pipeline.stderr == "error: missing Python package: pip install pyyaml numpy scikit-learn joblib\n",
            "\(pipeline.stderr)")

        let work = try TemporaryDirectory()
        let trained = try await PythonPeer.json("export_models.py", ["train", work.path, "xgboost"])
        let model = try #require((trained["models"] as? [[String: Any]])?.last)
        let fitted = try #require(model["fitted"] as? String)
        let repository = work.path("models")
        let first = try await ExportModel.run([fitted, "--name", "m", "--repository", repository])
        #expect(first.status == 0, "\(first.stderr)")
        let next = try await ExportModel.run([fitted, "--name", "m", "--repository", repository])
        #expect(next.status == 0 && next.stdout.contains("\(repository)/m/2/model.onnx"), "\(next.stdout) \(next.stderr)")
        let taken = try await ExportModel.run([fitted, "--name", "m", "--version", "1", "--repository", repository])
        #expect(taken.status == 1 && taken.stderr.contains("\(repository)/m/1 exists"), "\(taken.stderr)")
        let withSample = try await ExportModel.run([
            fitted, "--name", "m", "--repository", repository, "--sample", model["sample"] as? String ?? "",
        ])
        // The regression sample has the model's named columns plus one extra: accepted.
        #expect(withSample.status == 0 && withSample.stdout.contains("/m/3/model.onnx"), "\(withSample.stderr)")
    }
}

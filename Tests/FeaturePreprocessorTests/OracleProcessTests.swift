import Foundation
import TestSupport
import Testing

/// The real feature-preprocessor (and model-worker) processes against scikit-learn as oracle.
@Suite("feature-preprocessor against scikit-learn", .serialized)
struct OracleProcessTests {
    @Test func everyStepAndColumnTransformerMatchesTransformAndFeedsTheModel() async throws {
        let directory = try TemporaryDirectory()
        let prepared = try await PythonPeer.json("pipeline_oracle.py", ["prepare", directory.path])
        let cases = try #require(prepared["cases"] as? [String])
        #expect(cases.count >= 30, "\(cases.count) cases")
        #expect((prepared["export_failures"] as? [String: Any])?.isEmpty == true, "\(prepared["export_failures"] ?? "")")
        let refused = try #require(prepared["refused"] as? [String: [String: Any]])
        for (name, expected) in [
            ("refused_pca", "PCA is not supported"), ("refused_model", "ends with LogisticRegression, a model"),
            ("refused_numpy", "fit it on a pandas DataFrame"),
        ] {
            #expect(refused[name]?["status"] as? Int == 1, "\(name)")
            let message = refused[name]?["error"] as? String ?? ""
            #expect(message.contains(expected), "\(name): \(message)")
            #expect(refused[name]?["written"] as? Bool == false, "\(name)")
        }

        let preprocessor = try await ServiceProcess.start(
            "feature-preprocessor",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--pipelines", directory.path + "/pipelines",
                "--log-level", "warning",
            ])
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository", directory.path + "/models",
                "--log-level", "warning",
            ])
        let result = try await PythonPeer.json(
            "pipeline_oracle.py", ["check", String(preprocessor.port), String(worker.port), directory.path])

        #expect(result["server_ready"] as? Bool == true)
        let observed = try #require(result["cases"] as? [String: [String: Any]])
        #expect(Set(observed.keys) == Set(cases))
        for (name, observation) in observed.sorted(by: { $0.key < $1.key }) {
            #expect(observation["columns_ok"] as? Bool == true, "\(name) (column tensors): \(observation)")
            #expect(observation["records_ok"] as? Bool == true, "\(name) (JSON records): \(observation)")
        }
        let errors = try #require(result["errors"] as? [String: String])
        let expectations = [
            "unknown_pipeline": "StatusCode.NOT_FOUND|unknown pipeline 'no-such-pipeline'",
            "unknown_category":
                "StatusCode.INVALID_ARGUMENT|pipeline 'one_hot_if_binary': row 2, column 'device': unknown category 'windows'",
            "wrong_datatype": "StatusCode.INVALID_ARGUMENT|input 'city' has datatype FP64, but the column is string",
            "missing_column": "StatusCode.INVALID_ARGUMENT|missing input column 'city'",
            "bad_json": "StatusCode.INVALID_ARGUMENT|input 'records' element 0 is not a JSON object",
            "bad_record": "StatusCode.INVALID_ARGUMENT|row 1, column 'city': expected text, got a number",
            "unknown_version": "StatusCode.NOT_FOUND|pipeline 'ordinal_encoder' has no version '7'",
        ]
        for (key, prefix) in expectations {
            #expect(errors[key]?.hasPrefix(prefix) == true, "\(key): \(errors[key] ?? "none")")
        }
        #expect(result["still_serving"] as? String == "OK")
        let metadata = result["metadata"] as? [String: [[Any]]]
        #expect(metadata?["inputs"]?.compactMap { $0.first as? String } == ["age", "income", "visits", "city", "plan", "device"])
        #expect(metadata?["outputs"]?.first?.first as? String == "X")

        let endToEnd = try #require(result["end_to_end"] as? [String: Any])
        #expect(endToEnd["rows"] as? Int == 80)
        #expect(endToEnd["labels_equal"] as? Bool == true, "model-worker on preprocessed rows disagrees with Pipeline.predict")
        #expect(endToEnd["probabilities_close"] as? Bool == true)

        #expect(await preprocessor.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }
}

/// A directory under the system's temporary directory, removed when released.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("pipelines-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws {
        // Write then rename, so the poller never reads half a file.
        let staging = "\(path)/.\(name).tmp"
        try Data(text.utf8).write(to: URL(fileURLWithPath: staging))
        guard rename(staging, "\(path)/\(name)") == 0 else {
            throw PythonPeer.PeerError(description: "cannot rename \(staging) to \(path)/\(name): errno \(errno)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

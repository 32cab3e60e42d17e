import Foundation
import FuzzSupport
import InferenceAPI
import Logging
import ModelRepository
import ModelWorker
import RPCCore

/// Fuzzes ModelInfer in process, without sockets: bytes → `InferRequest(wireBytes:)` → the
/// worker's validation, tensor conversion, batching and engine → response encoding. A request
/// may fail, but only with a precise status (never UNKNOWN) and never by crashing.
///
/// The repository holds the fixtures the seeds name: `iris` v1 (logistic regression) and v2
/// (decision tree), `batched` (random forest behind the dynamic batcher) and `strings`
/// (string labels).
@main
enum FuzzModelInfer {
    static func main() {
        let service = makeService()
        let context = ServerContext(
            method: "/inference.GRPCInferenceService/ModelInfer", metadata: [:], deadline: nil, peer: "fuzz")
        FuzzDriver.run { input in
            guard let request = try? InferRequest(wireBytes: input) else { return false }
            let outcome = blockingWait { () async -> Result<InferResponse, RPCError> in
                do {
                    return .success(try await service.modelInfer(request, context: context))
                } catch {
                    return .failure(RPCError(from: error))
                }
            }
            switch outcome {
            case .success(let response):
                _ = response.wireBytes()
                return true
            case .failure(let error):
                precondition(error.code != .unknown, "ModelInfer failed without a precise status: \(error)")
                return false
            }
        }
    }

    static func makeService() -> ModelWorkerService {
        let fixtures = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/ONNXEngineTests/Fixtures")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-model-infer-\(getpid())")
        let layout: [(model: String, version: Int, fixture: String)] = [
            ("iris", 1, "logreg_iris"), ("iris", 2, "tree_iris"), ("batched", 1, "forest_iris"),
            ("strings", 1, "logreg_iris_strings"),
        ]
        let configs = [
            "iris": "version_policy: {all: true}\n",
            "batched": "max_batch_size: 8\ndynamic_batching: {max_queue_delay_microseconds: 100}\n",
        ]
        do {
            for entry in layout {
                let directory = root.appendingPathComponent("\(entry.model)/\(entry.version)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try FileManager.default.copyItem(
                    at: fixtures.appendingPathComponent("\(entry.fixture).onnx"),
                    to: directory.appendingPathComponent("model.onnx"))
            }
            for (model, yaml) in configs {
                try Data(yaml.utf8).write(to: root.appendingPathComponent("\(model)/config.yaml"))
            }
        } catch {
            fatalError("cannot lay out the fuzz repository in \(root.path): \(error)")
        }
        var logger = Logger(label: "fuzz.repository")
        logger.logLevel = .critical
        let pool = InferencePool.shared
        let reconciler = ModelReconciler(scanner: RepositoryScanner(root: root.path), logger: logger) { request in
            try await pool.run { try ServedModel(loading: request, pool: pool) }
        }
        let report = blockingWait { () async -> Result<ReconcileReport, RepositoryError> in
            do throws(RepositoryError) { return .success(try await reconciler.reconcile()) } catch { return .failure(error) }
        }
        try? FileManager.default.removeItem(at: root)
        guard case .success(let loaded) = report, loaded.loaded.count == layout.count else {
            fatalError("the fuzz repository did not load: \(report)")
        }
        return ModelWorkerService(store: reconciler.store, pool: pool)
    }
}

import Foundation
import InferenceAPI
import Logging
import ModelRepository
import ModelWorker
import RPCCore
import Testing

/// The scikit-learn models (skl2onnx) and onnxruntime outputs in Tests/ONNXEngineTests/Fixtures.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ONNXEngineTests/Fixtures")

    static func modelPath(_ name: String) -> String { directory.appendingPathComponent("\(name).onnx").path }

    /// One tensor of a fixture: dtype name, shape and elements (numbers or strings).
    struct FixtureTensor {
        var dtype: String
        var shape: [Int64]
        var data: [Any]

        var floats: [Float] { data.map { Float(($0 as? NSNumber)?.doubleValue ?? .nan) } }
        var int64s: [Int64] { data.map { ($0 as! NSNumber).int64Value } }
        var strings: [String] { data.map { $0 as! String } }
    }

    /// The inputs and onnxruntime outputs recorded for `name`.
    static func oracle(_ name: String) throws -> (inputs: [String: FixtureTensor], outputs: [String: FixtureTensor]) {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(name).json"))
        let object = try JSONSerialization.jsonObject(with: data) as! [String: [String: [String: Any]]]
        func tensors(_ key: String) -> [String: FixtureTensor] {
            object[key]!.mapValues {
                FixtureTensor(
                    dtype: $0["dtype"] as! String, shape: ($0["shape"] as! [NSNumber]).map(\.int64Value),
                    data: $0["data"] as! [Any])
            }
        }
        return (tensors("inputs"), tensors("outputs"))
    }
}

/// A model repository in a temporary directory built from fixtures.
final class FixtureRepository: @unchecked Sendable {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Copies fixture `fixture` to `DIR/<model>/<version>/model.onnx`.
    func add(_ model: String, version: Int, fixture: String) throws {
        let directory = "\(root)/\(model)/\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.modelPath(fixture), toPath: "\(directory)/model.onnx")
    }

    /// Writes a file with `contents` to `DIR/<model>/<version>/model.onnx`.
    func addRaw(_ model: String, version: Int, contents: [UInt8]) throws {
        let directory = "\(root)/\(model)/\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(contents).write(to: URL(fileURLWithPath: "\(directory)/model.onnx"))
    }

    func config(_ model: String, _ yaml: String) throws {
        try FileManager.default.createDirectory(atPath: "\(root)/\(model)", withIntermediateDirectories: true)
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: "\(root)/\(model)/config.yaml"))
    }

    /// A reconciler over this repository loading `ServedModel`s, and the service answering from it.
    func worker(clock: BatchingClock = .continuous) async throws -> (ModelWorkerService, ModelReconciler<ServedModel>) {
        let pool = InferencePool.shared
        var quiet = Logger(label: "test.repository")
        quiet.logLevel = .critical
        let reconciler = ModelReconciler(scanner: RepositoryScanner(root: root), logger: quiet) { request in
            try await pool.run { try ServedModel(loading: request, pool: pool, clock: clock) }
        }
        try await reconciler.reconcile()
        return (ModelWorkerService(store: reconciler.store, pool: pool), reconciler)
    }
}

let testContext = ServerContext(method: "/inference.GRPCInferenceService/ModelInfer", metadata: [:], deadline: nil, peer: "test")

/// Whether `actual` is within `relative` (or 1e-6 absolute) of `expected`, element by element.
func isClose(_ actual: [Float], _ expected: [Float], relative: Float = 1e-5) -> Bool {
    actual.count == expected.count
        && zip(actual, expected).allSatisfy { abs($0 - $1) <= max(1e-6, relative * abs($1)) }
}

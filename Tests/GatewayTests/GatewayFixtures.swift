import Foundation
import TestSupport

/// Temporary model repositories, routes files and state files for gateway tests.
final class GatewayScratch: @unchecked Sendable {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The example iris model of `version` (1: logistic regression, 2: random forest).
    static func exampleModel(_ version: Int) -> String {
        PythonPeer.repositoryRoot.appendingPathComponent("examples/models/iris/\(version)/model.onnx").path
    }

    /// A repository holding `iris` at `version` only, with `file`'s bytes (default: the example).
    func repository(_ name: String, version: Int, modelBytes: Data? = nil) throws -> String {
        let directory = "\(root)/\(name)/iris/\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let bytes = try modelBytes ?? Data(contentsOf: URL(fileURLWithPath: Self.exampleModel(version)))
        try bytes.write(to: URL(fileURLWithPath: "\(directory)/model.onnx"))
        return "\(root)/\(name)"
    }

    /// Writes (or replaces, atomically) the routes file and returns its path.
    @discardableResult
    func writeRoutes(_ yaml: String) throws -> String {
        let path = "\(root)/routes.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var statePath: String { "\(root)/canary-state.json" }
    var markerPath: String { "\(root)/load-started" }

    /// The saved canary state of `model` as JSON.
    func savedCanary(_ model: String) throws -> [String: Any]? {
        let data = try Data(contentsOf: URL(fileURLWithPath: statePath))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (object?["models"] as? [String: Any])?[model] as? [String: Any]
    }
}

/// Starts model-workers and a gateway as real processes on ports picked at run time.
enum Mesh {
    static func worker(_ repository: String) async throws -> ServiceProcess {
        try await ServiceProcess.start(
            "model-worker",
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository", repository, "--log-level", "warning"])
    }

    static func preprocessor(_ pipelines: String) async throws -> ServiceProcess {
        try await ServiceProcess.start(
            "feature-preprocessor",
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--pipelines", pipelines, "--log-level", "warning"])
    }

    static func gateway(_ scratch: GatewayScratch, extra: [String] = []) async throws -> ServiceProcess {
        try await ServiceProcess.start(
            "gateway",
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--routes", "\(scratch.root)/routes.yaml", "--canary-state", scratch.statePath,
             "--health-check-interval-ms", "200", "--routes-poll-interval-ms", "100", "--log-level", "warning"] + extra)
    }

    /// Runs the load peer in the background, calls `fault` once calls flow, and returns its counts.
    static func load(
        gateway: ServiceProcess, scratch: GatewayScratch, seconds: Double, concurrency: Int,
        fault: @Sendable () async throws -> Void = {}
    ) async throws -> [String: Any] {
        let port = gateway.port
        let marker = scratch.markerPath
        try? FileManager.default.removeItem(atPath: marker)
        async let result = PythonPeer.json(
            "gateway_checks.py", ["load", String(port), String(seconds), String(concurrency), marker])
        let started = ContinuousClock.now
        while !FileManager.default.fileExists(atPath: marker), ContinuousClock.now - started < .seconds(30) {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await fault()
        return try await result
    }
}

import Foundation
import InferenceAPI
import RPCCore
import RPCTransport
import TestSupport
import Testing

/// Spec reload in the real process: invalid specs never replace a serving pipeline, and the
/// process keeps answering.
@Suite("feature-preprocessor spec reload", .serialized)
struct ReloadProcessTests {
    static func scaler(version: Int, scale: String) -> String {
        """
        version: \(version)
        inputs: [{name: x, type: float}]
        steps:
          - {type: standard_scaler, mean: [1.0], scale: \(scale)}
        """
    }

    @Test func invalidSpecsKeepTheLastGoodVersionServing() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("scale.yaml", Self.scaler(version: 1, scale: "[2.0]"))
        let process = try await ServiceProcess.start(
            "feature-preprocessor",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--pipelines", directory.path, "--poll-interval-ms",
                "50", "--log-level", "critical",
            ])
        let client = RPCClient(host: "127.0.0.1", port: process.port)

        func infer(_ x: Double) async throws -> (version: String, value: Double) {
            let request = InferRequest(modelName: "scale", inputs: [InferTensor(name: "x", shape: [1], values: [x])])
            let response = try await client.unary(InferenceMethods.modelInfer, request, as: InferResponse.self).message
            return (response.modelVersion, Double(try response.outputs[0].values(as: Float.self)[0]))
        }
        func ready(_ name: String) async throws -> Bool {
            try await client.unary(InferenceMethods.modelReady, ModelReadyRequest(name: name), as: ModelReadyResponse.self)
                .message.ready
        }
        func serverReady() async throws -> Bool {
            try await client.unary(InferenceMethods.serverReady, ServerReadyRequest(), as: ServerReadyResponse.self).message.ready
        }
        /// Polls until `condition` holds (the process rescans every 50 ms).
        func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
            for _ in 0..<100 {
                if try await condition() { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        #expect(try await infer(3).value == 1)
        #expect(try await serverReady())

        // A spec whose scale does not fit its columns: version 1 keeps serving.
        try directory.write("scale.yaml", Self.scaler(version: 2, scale: "[2.0, 3.0]"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await infer(3) == ("1", 1))
        #expect(try await ready("scale"))

        // A new file that is not YAML: known, not ready, and the server is not ready either.
        try directory.write("broken.yaml", "inputs: [unclosed")
        #expect(try await eventually { try await !serverReady() })
        #expect(try await ready("broken") == false)
        do {
            _ = try await client.unary(
                InferenceMethods.modelInfer, InferRequest(modelName: "broken"), as: InferResponse.self)
            Issue.record("an invalid pipeline answered")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("broken.yaml: not valid YAML"), "\(error.message)")
        }

        // Fixed files are picked up.
        try directory.write("scale.yaml", Self.scaler(version: 2, scale: "[4.0]"))
        try FileManager.default.removeItem(atPath: directory.path + "/broken.yaml")
        #expect(try await eventually { try await infer(3) == ("2", 0.5) })
        #expect(try await eventually { try await serverReady() })

        await client.close()
        #expect(await process.terminate() == 0)
    }

    @Test func commandLineErrorsAreClear() async throws {
        let missing = try await run(["--pipelines", "/nonexistent/pipelines"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("--pipelines '/nonexistent/pipelines' is not a directory"), "\(missing.stderr)")
        let none = try await run(["--listen", "127.0.0.1:0"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("--pipelines"), "\(none.stderr)")
    }

    private func run(_ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = ServiceProcess.binaryDirectory.appendingPathComponent("feature-preprocessor")
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

import Foundation
import TestSupport

/// Runs scripts/export-model with the test's Python and the onnx-check built next to the tests.
enum ExportModel {
    struct Run: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `script` (export-model by default) with `arguments`; `pythonOptions` go before the script.
    static func run(
        _ arguments: [String], script: String = "scripts/export-model", pythonOptions: [String] = []
    ) async throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PythonPeer.interpreter)
        process.arguments = pythonOptions + [PythonPeer.repositoryRoot.appendingPathComponent(script).path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ONNX_CHECK"] = ServiceProcess.binaryDirectory.appendingPathComponent("onnx-check").path
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        async let out = blocking { stdout.fileHandleForReading.readDataToEndOfFile() }
        async let err = blocking { stderr.fileHandleForReading.readDataToEndOfFile() }
        let (outData, errData) = await (out, err)
        await blocking { process.waitUntilExit() }
        return Run(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Blocking work on a Dispatch thread, never on the cooperative pool.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

/// A directory under the system's temporary directory, removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("export-model-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func path(_ component: String) -> String { "\(path)/\(component)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

import Foundation
import TestSupport

/// Runs the built `infer-cli` as a real process and collects what it printed.
enum CLIRunner {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `infer-cli arguments…` to completion; `stdin` (if any) is written and closed first.
    /// `environment` is added to a copy of this process's, without `INFER_CLI_TOKEN` unless given.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> Result {
        let executable = ServiceProcess.binaryDirectory.appendingPathComponent("infer-cli")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment
        inherited["INFER_CLI_TOKEN"] = nil
        process.environment = inherited.merging(environment) { $1 }
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Pipe reads and the wait block, so they run on Dispatch threads: the cooperative pool
        // (two threads here) must stay free for the in-process server the CLI talks to.
        let inputHandle = input.fileHandleForWriting
        let stdinBytes = Data((stdin ?? "").utf8)
        await offCooperativePool {
            inputHandle.write(stdinBytes)
            try? inputHandle.close()
        }
        async let out = offCooperativePool { output.fileHandleForReading.readDataToEndOfFile() }
        async let err = offCooperativePool { errors.fileHandleForReading.readDataToEndOfFile() }
        let (outData, errData) = await (out, err)
        await offCooperativePool { process.waitUntilExit() }
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    private static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

/// A temporary directory for input files, removed when the value goes away.
final class InputFiles: @unchecked Sendable {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("infer-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes `contents` to `name` and returns its path.
    func write(_ name: String, _ contents: String) throws -> String {
        let url = root.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}

import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A model-worker process for the ops tests: started with both ports on port 0, it reports
/// both bound ports and can be signalled (SIGHUP, SIGTERM) and awaited.
final class WorkerProcess: @unchecked Sendable {
    private let process: Process
    let port: Int
    let metricsPort: Int

    private init(process: Process, port: Int, metricsPort: Int) {
        self.process = process
        self.port = port
        self.metricsPort = metricsPort
    }

    static var executable: URL {
        ServiceProcess.binaryDirectory.appendingPathComponent("model-worker")
    }

    /// Starts model-worker with `arguments` plus `--listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0`
    /// (unless given) and waits for its `listening on` and `metrics listening on` lines; its stderr
    /// goes to `standardError` (the test's own by default).
    static func start(_ arguments: [String], standardError: FileHandle = .standardError) async throws -> WorkerProcess {
        var arguments = arguments
        if !arguments.contains("--listen") { arguments += ["--listen", "127.0.0.1:0"] }
        if !arguments.contains("--metrics-listen") { arguments += ["--metrics-listen", "127.0.0.1:0"] }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = standardError
        try process.run()
        let handle = stdout.fileHandleForReading
        let lines = await offCooperativePool { () -> [String] in
            var lines: [String] = []
            var line = [UInt8]()
            while lines.count < 2, let byte = handle.readData(ofLength: 1).first {
                if byte == UInt8(ascii: "\n") {
                    lines.append(String(decoding: line, as: UTF8.self))
                    line = []
                } else {
                    line.append(byte)
                }
            }
            return lines
        }
        func port(after prefix: String) -> Int? {
            guard let line = lines.first(where: { $0.hasPrefix(prefix) }), let colon = line.lastIndex(of: ":") else { return nil }
            return Int(line[line.index(after: colon)...])
        }
        guard let grpc = port(after: "listening on "), let metrics = port(after: "metrics listening on ") else {
            process.terminate()
            throw WorkerProcessError(description: "model-worker printed \(lines) instead of its two listening lines")
        }
        return WorkerProcess(process: process, port: grpc, metricsPort: metrics)
    }

    /// Sends `signal` (SIGHUP, SIGTERM, ...).
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end and returns its exit status.
    func exitStatus() async -> Int32 {
        let process = self.process
        return await offCooperativePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// The current metrics, parsed; empty when the port does not answer.
    func scrape() async -> [String: Double] {
        await OpsHTTP.metrics(port: metricsPort) ?? [:]
    }

    /// Runs model-worker to completion (command-line errors, `--print-config`).
    static func runToCompletion(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        async let out = offCooperativePool { stdout.fileHandleForReading.readDataToEndOfFile() }
        async let err = offCooperativePool { stderr.fileHandleForReading.readDataToEndOfFile() }
        let (outData, errData) = await (out, err)
        await offCooperativePool { process.waitUntilExit() }
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct WorkerProcessError: Error, CustomStringConvertible {
    var description: String
}

/// Runs blocking work on a Dispatch thread, never on the few cooperative threads.
func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}

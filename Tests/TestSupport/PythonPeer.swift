import Foundation

/// Runs the Python interop peers in Tests/Peers with the project's virtualenv.
public enum PythonPeer {
    /// The repository's root, found from this file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$PYTHON`, else `.venv/bin/python` (made by `scripts/test`).
    public static var interpreter: String {
        if let python = ProcessInfo.processInfo.environment["PYTHON"] { return python }
        return repositoryRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// `$KSERVE_PYTHON`, else `.venv-kserve/bin/python` (made by `scripts/setup`): the KServe SDK
    /// pins its own grpcio and protobuf, so it has a venv of its own.
    public static var kserveInterpreter: String {
        if let python = ProcessInfo.processInfo.environment["KSERVE_PYTHON"] { return python }
        return repositoryRoot.appendingPathComponent(".venv-kserve/bin/python").path
    }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        /// Each stdout line parsed as a JSON object.
        public var jsonLines: [[String: Any]] {
            stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    public struct PeerError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `Tests/Peers/<script>` with `arguments` to completion.
    public static func run(_ script: String, _ arguments: [String], python: String? = nil) async throws -> Output {
        let process = try makeProcess(script, arguments, python: python)
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Blocking reads run on Dispatch threads, never on the few cooperative threads that the
        // server under test needs; both pipes are drained so a chatty peer cannot block.
        async let out = blockingRead(stdout.fileHandleForReading)
        async let err = blockingRead(stderr.fileHandleForReading)
        let (outData, errData) = await (out, err)
        await offCooperativePool { process.waitUntilExit() }
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a peer and returns its single JSON object, failing with its stderr when it fails.
    public static func json(_ script: String, _ arguments: [String], python: String? = nil) async throws -> [String: Any] {
        let output = try await run(script, arguments, python: python)
        guard output.status == 0, let object = output.jsonLines.last else {
            throw PeerError(description: "\(script) exited \(output.status)\nstdout: \(output.stdout)\nstderr: \(output.stderr)")
        }
        return object
    }

    private static func blockingRead(_ handle: FileHandle) async -> Data {
        await offCooperativePool { handle.readDataToEndOfFile() }
    }

    /// Runs blocking work on a Dispatch thread.
    static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    static func makeProcess(_ script: String, _ arguments: [String], python: String? = nil) throws -> Process {
        let interpreter = python ?? interpreter
        guard FileManager.default.isExecutableFile(atPath: interpreter) else {
            throw PeerError(description: "no Python at \(interpreter): run scripts/test (it creates .venv) or set PYTHON")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        let peers = repositoryRoot.appendingPathComponent("Tests/Peers")
        process.arguments = [peers.appendingPathComponent(script).path] + arguments
        process.currentDirectoryURL = peers
        return process
    }
}

/// A long-running Python server peer that prints `PORT <n>` when it serves.
public final class PythonServer: @unchecked Sendable {
    private let process: Process
    public let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// Starts `Tests/Peers/<script>` and waits for its port line.
    public static func start(_ script: String, _ arguments: [String] = []) async throws -> PythonServer {
        let process = try PythonPeer.makeProcess(script, arguments)
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()
        let handle = stdout.fileHandleForReading
        let text = await PythonPeer.offCooperativePool { () -> String in
            var line = [UInt8]()
            while let byte = handle.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") {
                line.append(byte)
            }
            return String(decoding: line, as: UTF8.self)
        }
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.terminate()
            throw PythonPeer.PeerError(description: "\(script) printed '\(text)' instead of PORT <n>")
        }
        return PythonServer(process: process, port: port)
    }

    /// Kills the peer outright: it holds no state worth a graceful stop.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

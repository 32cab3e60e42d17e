import Foundation

/// One of the package's executables running as a real process, found next to the test binary.
public final class ServiceProcess: @unchecked Sendable {
    private let process: Process
    /// The gRPC port the process reported on its `listening on HOST:PORT` line.
    public let port: Int
    /// The metrics (HTTP/1.1) port from the `metrics listening on HOST:PORT` line, when
    /// `start` was asked to read it.
    public let metricsPort: Int?
    /// The REST port from the `http listening on HOST:PORT` line, when `start` was asked to read it.
    public let httpPort: Int?

    private init(process: Process, port: Int, metricsPort: Int? = nil, httpPort: Int? = nil) {
        self.process = process
        self.port = port
        self.metricsPort = metricsPort
        self.httpPort = httpPort
    }

    /// The directory holding the built executables: `$MESH_BIN_DIR`, else the test binary's.
    public static var binaryDirectory: URL {
        if let directory = ProcessInfo.processInfo.environment["MESH_BIN_DIR"] {
            return URL(fileURLWithPath: directory)
        }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // The test binary may sit inside an .xctest bundle directory.
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS"
            || directory.lastPathComponent == "Contents"
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }

    /// Starts `name` with `arguments` and waits for its `listening on` line (and, with
    /// `readingMetricsPort`, for the `metrics listening on` line that follows it).
    /// `environment` adds to (or replaces in) the test process's own. With `readingHTTPPort`
    /// (which implies `readingMetricsPort`) the `http listening on` line that follows is read too.
    public static func start(
        _ name: String, _ arguments: [String], readingMetricsPort: Bool = false, readingHTTPPort: Bool = false,
        environment: [String: String] = [:]
    ) async throws -> ServiceProcess {
        let executable = binaryDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw PythonPeer.PeerError(description: "no executable \(executable.path): build the package first")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()
        let handle = stdout.fileHandleForReading
        let line = await readLine(handle)
        guard let port = Self.port(in: line, after: "listening on ") else {
            process.terminate()
            throw PythonPeer.PeerError(description: "\(name) printed '\(line)' instead of 'listening on HOST:PORT'")
        }
        guard readingMetricsPort || readingHTTPPort else { return ServiceProcess(process: process, port: port) }
        let metricsLine = await readLine(handle)
        guard let metricsPort = Self.port(in: metricsLine, after: "metrics listening on ") else {
            process.terminate()
            throw PythonPeer.PeerError(
                description: "\(name) printed '\(metricsLine)' instead of 'metrics listening on HOST:PORT'")
        }
        guard readingHTTPPort else { return ServiceProcess(process: process, port: port, metricsPort: metricsPort) }
        let httpLine = await readLine(handle)
        guard let httpPort = Self.port(in: httpLine, after: "http listening on ") else {
            process.terminate()
            throw PythonPeer.PeerError(description: "\(name) printed '\(httpLine)' instead of 'http listening on HOST:PORT'")
        }
        return ServiceProcess(process: process, port: port, metricsPort: metricsPort, httpPort: httpPort)
    }

    /// One line of the process's output, read on a Dispatch thread.
    private static func readLine(_ handle: FileHandle) async -> String {
        await PythonPeer.offCooperativePool { () -> String in
            var line = [UInt8]()
            while let byte = handle.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") {
                line.append(byte)
            }
            return String(decoding: line, as: UTF8.self)
        }
    }

    /// The port at the end of `line` when it starts with `prefix`.
    private static func port(in line: String, after prefix: String) -> Int? {
        guard line.hasPrefix(prefix), let colon = line.lastIndex(of: ":") else { return nil }
        return Int(line[line.index(after: colon)...])
    }

    /// Whether the process still runs.
    public var isRunning: Bool { process.isRunning }

    /// The process id, for signals.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Sends `signal` (SIGSTOP, SIGCONT, SIGHUP, ...) to the process.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Kills the process outright (SIGKILL) and waits for it.
    public func kill9() async {
        let process = self.process
        kill(process.processIdentifier, SIGKILL)
        await PythonPeer.offCooperativePool { process.waitUntilExit() }
    }

    /// Sends SIGTERM and returns the exit status once the process has ended.
    public func terminate() async -> Int32 {
        let process = self.process
        process.terminate()
        return await PythonPeer.offCooperativePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

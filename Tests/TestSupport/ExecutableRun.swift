import Foundation

/// One run of a package executable to its end, for command-line errors.
public struct ExecutableRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Runs `name` (next to the test binary) with `arguments`; a process still running after
    /// `timeout` (an error that was not caught, so it serves) is killed and reported as such.
    public static func run(_ name: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> ExecutableRun
    {
        try await run(executable: ServiceProcess.binaryDirectory.appendingPathComponent(name), arguments, timeout: timeout)
    }

    /// Runs `command` with `/bin/sh -c`, as a user would type it.
    public static func shell(_ command: String, timeout: Duration = .seconds(30)) async throws -> ExecutableRun {
        try await run(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", command], timeout: timeout)
    }

    private static func run(executable: URL, _ arguments: [String], timeout: Duration) async throws -> ExecutableRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let seconds = Double(timeout.components.seconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        async let out = PythonPeer.offCooperativePool { stdout.fileHandleForReading.readDataToEndOfFile() }
        async let err = PythonPeer.offCooperativePool { stderr.fileHandleForReading.readDataToEndOfFile() }
        let (outData, errData) = await (out, err)
        await PythonPeer.offCooperativePool { process.waitUntilExit() }
        return ExecutableRun(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

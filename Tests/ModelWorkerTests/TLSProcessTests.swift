import Foundation
import InferenceAPI
import RPCTransport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// model-worker with `--tls-cert`/`--tls-key` (and `--tls-client-ca`) called by grpcio over TLS,
/// with certificates made by openssl for each test.
@Suite("model-worker over TLS", .serialized)
struct TLSProcessTests {
    private func worker(
        _ certificates: TestCertificates, _ repository: FixtureRepository, mutual: Bool = false
    ) async throws -> WorkerProcess {
        var arguments = [
            "--model-repository", repository.root, "--log-level", "warning",
            "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
        ]
        if mutual { arguments += ["--tls-client-ca", certificates.caCertificate] }
        return try await WorkerProcess.start(arguments)
    }

    private func repository() throws -> FixtureRepository {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        return repository
    }

    /// Runs the grpcio peer against `port`; `extra` picks credentials.
    private func call(_ port: Int, _ extra: [String]) async throws -> [String: Any] {
        try await PythonPeer.json("tls_client_checks.py", [String(port), "iris"] + extra)
    }

    @Test func grpcioCallsATLSWorkerAndPlaintextIsRefusedCleanly() async throws {
        let certificates = try await TestCertificates.make()
        let repository = try repository()
        let worker = try await worker(certificates, repository)

        let secure = try await call(worker.port, ["--ca", certificates.caCertificate])
        #expect(secure["live"] as? Bool == true, "\(secure)")
        let infer = secure["infer"] as? [String: Any]
        #expect(infer?["model_name"] as? String == "iris", "\(secure)")
        #expect(infer?["labels"] as? [Int] == [0, 2], "\(secure)")

        // The name in the certificate also verifies when asked for explicitly.
        let named = try await call(worker.port, ["--ca", certificates.caCertificate, "--server-name", "localhost"])
        #expect(named["live"] as? Bool == true, "\(named)")

        let plaintext = try await call(worker.port, ["--plaintext"])
        let refused = plaintext["live"] as? String ?? ""
        #expect(refused.hasPrefix("StatusCode.UNAVAILABLE"), "\(plaintext)")

        // The refused client did not disturb the server.
        let again = try await call(worker.port, ["--ca", certificates.caCertificate])
        #expect((again["infer"] as? [String: Any])?["labels"] as? [Int] == [0, 2], "\(again)")

        worker.send(SIGTERM)
        #expect(await worker.exitStatus() == 0)
    }

    @Test func mutualTLSAdmitsOnlyClientsWithACertificateFromTheClientCA() async throws {
        let certificates = try await TestCertificates.make()
        let repository = try repository()
        let worker = try await worker(certificates, repository, mutual: true)

        let anonymous = try await call(worker.port, ["--ca", certificates.caCertificate])
        #expect((anonymous["live"] as? String)?.hasPrefix("StatusCode.UNAVAILABLE") == true, "\(anonymous)")

        let stranger = try await call(
            worker.port,
            ["--ca", certificates.caCertificate, "--cert", certificates.strangerCertificate, "--key", certificates.strangerKey])
        #expect((stranger["live"] as? String)?.hasPrefix("StatusCode.UNAVAILABLE") == true, "\(stranger)")

        let trusted = try await call(
            worker.port,
            ["--ca", certificates.caCertificate, "--cert", certificates.clientCertificate, "--key", certificates.clientKey])
        #expect(trusted["live"] as? Bool == true, "\(trusted)")
        #expect((trusted["infer"] as? [String: Any])?["labels"] as? [Int] == [0, 2], "\(trusted)")

        worker.send(SIGTERM)
        #expect(await worker.exitStatus() == 0)
    }

    /// Which of `known` (name to PEM file) the server on `port` presents to a new connection,
    /// verified against `ca` alone: the name, "unknown", or "error: ..." when the handshake failed.
    private func peerCertificate(_ port: Int, ca: String, _ known: [String: String], client: [String] = []) async throws -> String
    {
        let files = known.sorted { $0.key < $1.key }.flatMap { ["--peer-certificate", "\($0.key)=\($0.value)"] }
        let result = try await PythonPeer.json("tls_client_checks.py", [String(port), "iris", "--ca", ca] + client + files)
        return result["peer"] as? String ?? "\(result)"
    }

    /// Polls until the server presents `expected` to new connections (a reload runs after the signal).
    private func waitForPeerCertificate(
        _ expected: String, _ port: Int, ca: String, _ known: [String: String], client: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var seen = ""
        for _ in 0..<100 {
            seen = try await peerCertificate(port, ca: ca, known, client: client)
            if seen == expected { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the server still presents \(seen), not \(expected)", sourceLocation: sourceLocation)
    }

    @Test func sighupServesNewCertificatesToNewConnectionsAndKeepsOpenOnes() async throws {
        let first = try await TestCertificates.make()
        let second = try await TestCertificates.make()
        let certificate = try first.write("live.pem", first.contents(first.serverCertificate))
        let key = try first.write("live.key", first.contents(first.serverKey))
        let log = "\(first.directory)/worker.log"
        let repository = try repository()
        let worker = try await LoggedWorker.start(
            ["--model-repository", repository.root, "--tls-cert", certificate, "--tls-key", key], log: log)
        let known = ["A": first.serverCertificate, "B": second.serverCertificate]

        // A connection made now, by a client that trusts only the first CA.
        var configuration = ClientConfiguration()
        configuration.tls = try ClientTLS(trustRootsFile: first.caCertificate)
        configuration.backoff.initial = .seconds(60)
        let early = RPCClient(host: "127.0.0.1", port: worker.port, configuration: configuration)
        #expect(try await early.unary(InferenceMethods.serverLive, ServerLiveRequest(), as: ServerLiveResponse.self).message.live)
        #expect(try await peerCertificate(worker.port, ca: first.caCertificate, known) == "A")

        // The second certificate comes from another CA; files are replaced, then SIGHUP.
        _ = try first.write("live.pem", second.contents(second.serverCertificate))
        _ = try first.write("live.key", second.contents(second.serverKey))
        worker.send(SIGHUP)
        try await waitForPeerCertificate("B", worker.port, ca: second.caCertificate, known)
        let untrusted = try await peerCertificate(worker.port, ca: first.caCertificate, known)
        #expect(untrusted.hasPrefix("error: ") && untrusted.contains("CERTIFICATE_VERIFY_FAILED"), "\(untrusted)")
        // The early connection still works: it could not have been replaced, since a new
        // connection from that client no longer verifies.
        #expect(try await early.unary(InferenceMethods.serverLive, ServerLiveRequest(), as: ServerLiveResponse.self).message.live)
        let grpcio = try await call(worker.port, ["--ca", second.caCertificate])
        #expect((grpcio["infer"] as? [String: Any])?["labels"] as? [Int] == [0, 2], "\(grpcio)")

        // A broken reload (a key of another certificate, then a missing file) keeps the second certificate.
        _ = try first.write("live.key", first.contents(first.clientKey))
        worker.send(SIGHUP)
        try await eventually {
            (try? String(contentsOfFile: log, encoding: .utf8))?.contains(
                "the private key does not match the certificate in \(certificate)") == true
        }
        #expect(try await peerCertificate(worker.port, ca: second.caCertificate, known) == "B")
        try FileManager.default.removeItem(atPath: certificate)
        worker.send(SIGHUP)
        try await eventually {
            (try? String(contentsOfFile: log, encoding: .utf8))?.contains(
                "--tls-cert \(certificate): cannot open: No such file or directory") == true
        }
        #expect(try await peerCertificate(worker.port, ca: second.caCertificate, known) == "B")
        #expect(try await early.unary(InferenceMethods.serverLive, ServerLiveRequest(), as: ServerLiveResponse.self).message.live)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("TLS reload failed; still serving the previous certificate"), "\(text)")
        #expect(text.contains("TLS certificate reloaded"), "\(text)")

        await early.close()
        worker.send(SIGTERM)
        #expect(await worker.exitStatus() == 0)
    }

    @Test func sighupReloadsTheClientCAOfAServerWithNothingElseToReload() async throws {
        let first = try await TestCertificates.make()
        let second = try await TestCertificates.make()
        let clientCA = try first.write("client-ca.pem", first.contents(first.caCertificate))
        let server = try await ServiceProcess.start(
            "rpc-echo-server",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--log-level", "warning",
                "--tls-cert", first.serverCertificate, "--tls-key", first.serverKey, "--tls-client-ca", clientCA,
            ])
        func clientOf(_ certificates: TestCertificates) -> [String] {
            ["--cert", certificates.clientCertificate, "--key", certificates.clientKey]
        }
        let firstClient = try await call(server.port, ["--ca", first.caCertificate] + clientOf(first))
        #expect(firstClient["live"] as? Bool == true, "\(firstClient)")

        // Now only clients of the second CA are admitted.
        _ = try first.write("client-ca.pem", second.contents(second.caCertificate))
        server.send(SIGHUP)
        var admitted: Any?
        for _ in 0..<100 {
            admitted = try await call(server.port, ["--ca", first.caCertificate] + clientOf(second))["live"]
            if admitted as? Bool == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(admitted as? Bool == true, "\(String(describing: admitted))")
        let refused = try await call(server.port, ["--ca", first.caCertificate] + clientOf(first))
        #expect((refused["live"] as? String)?.hasPrefix("StatusCode.UNAVAILABLE") == true, "\(refused)")
        #expect(await server.terminate() == 0)
    }

    @Test func badTLSSettingsAreCommandLineErrorsNamingTheFlagAndFile() async throws {
        let certificates = try await TestCertificates.make()
        let repository = try repository()
        let base = ["--model-repository", repository.root, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]
        func expectError(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
        {
            let run = try await ExecutableRun.run("model-worker", base + arguments)
            #expect(run.status != 0, sourceLocation: sourceLocation)
            #expect(run.stderr.contains(message), "\(run.stderr)", sourceLocation: sourceLocation)
        }

        try await expectError(["--tls-cert", certificates.serverCertificate], "--tls-cert needs --tls-key")
        try await expectError(["--tls-key", certificates.serverKey], "--tls-key needs --tls-cert")
        try await expectError(["--tls-client-ca", certificates.caCertificate], "--tls-client-ca needs --tls-cert and --tls-key")
        try await expectError(
            ["--tls-cert", "/nonexistent/server.pem", "--tls-key", certificates.serverKey],
            "--tls-cert /nonexistent/server.pem: cannot open: No such file or directory")
        let garbage = try certificates.write("garbage.pem", "not a certificate at all\n")
        try await expectError(
            ["--tls-cert", garbage, "--tls-key", certificates.serverKey], "--tls-cert \(garbage): no PEM certificate found")
        try await expectError(
            ["--tls-cert", certificates.serverCertificate, "--tls-key", garbage], "--tls-key \(garbage): no PEM private key found"
        )
        try await expectError(
            ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.clientKey],
            "--tls-key \(certificates.clientKey): the private key does not match the certificate in \(certificates.serverCertificate)"
        )
        try await expectError(
            ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey, "--tls-client-ca", garbage],
            "--tls-client-ca \(garbage): no PEM certificate found")

        // From a config file, the error names the file and the key as well.
        let config = try certificates.write("worker.yaml", "tls-cert: \(garbage)\ntls-key: \(certificates.serverKey)\n")
        try await expectError(["--config", config], "key 'tls-cert'")
        try await expectError(["--config", config], "no PEM certificate found")
    }
}

/// A model-worker whose stderr goes to a file, for tests that read its log.
private final class LoggedWorker: @unchecked Sendable {
    private let process: Process
    let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// Starts model-worker with `arguments` on loopback port 0 (both ports), waits for its
    /// `listening on` line, and appends its stderr to `log`.
    static func start(_ arguments: [String], log: String) async throws -> LoggedWorker {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = WorkerProcess.executable
        process.arguments = arguments + ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        let handle = stdout.fileHandleForReading
        let line = await offCooperativePool { () -> String in
            var line = [UInt8]()
            while let byte = handle.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
            return String(decoding: line, as: UTF8.self)
        }
        guard line.hasPrefix("listening on "), let colon = line.lastIndex(of: ":"),
            let port = Int(line[line.index(after: colon)...])
        else {
            process.terminate()
            throw WorkerProcessError(description: "model-worker printed '\(line)' instead of 'listening on HOST:PORT'")
        }
        return LoggedWorker(process: process, port: port)
    }

    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    func exitStatus() async -> Int32 {
        let process = self.process
        return await offCooperativePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

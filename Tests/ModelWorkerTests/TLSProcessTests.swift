import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// model-worker with `--tls-cert`/`--tls-key` (and `--tls-client-ca`) called by grpcio over TLS,
/// with certificates made by openssl for each test.
@Suite("model-worker over TLS", .serialized)
struct TLSProcessTests {
    private func worker(_ certificates: TestCertificates, _ repository: FixtureRepository, mutual: Bool = false) async throws -> WorkerProcess {
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
            worker.port, ["--ca", certificates.caCertificate, "--cert", certificates.strangerCertificate, "--key", certificates.strangerKey])
        #expect((stranger["live"] as? String)?.hasPrefix("StatusCode.UNAVAILABLE") == true, "\(stranger)")

        let trusted = try await call(
            worker.port, ["--ca", certificates.caCertificate, "--cert", certificates.clientCertificate, "--key", certificates.clientKey])
        #expect(trusted["live"] as? Bool == true, "\(trusted)")
        #expect((trusted["infer"] as? [String: Any])?["labels"] as? [Int] == [0, 2], "\(trusted)")

        worker.send(SIGTERM)
        #expect(await worker.exitStatus() == 0)
    }

    @Test func badTLSSettingsAreCommandLineErrorsNamingTheFlagAndFile() async throws {
        let certificates = try await TestCertificates.make()
        let repository = try repository()
        let base = ["--model-repository", repository.root, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]
        func expectError(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
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
            ["--tls-cert", certificates.serverCertificate, "--tls-key", garbage], "--tls-key \(garbage): no PEM private key found")
        try await expectError(
            ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.clientKey],
            "--tls-key \(certificates.clientKey): the private key does not match the certificate in \(certificates.serverCertificate)")
        try await expectError(
            ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey, "--tls-client-ca", garbage],
            "--tls-client-ca \(garbage): no PEM certificate found")

        // From a config file, the error names the file and the key as well.
        let config = try certificates.write("worker.yaml", "tls-cert: \(garbage)\ntls-key: \(certificates.serverKey)\n")
        try await expectError(["--config", config], "key 'tls-cert'")
        try await expectError(["--config", config], "no PEM certificate found")
    }
}

import Foundation
import TestSupport
import Testing

/// The gateway calling TLS workers (`--upstream-tls-*`), itself served in plaintext or over
/// TLS, with grpcio as the caller and certificates made by openssl for each test.
@Suite("gateway with TLS upstreams", .serialized)
struct UpstreamTLSTests {
    private func tlsWorker(
        _ scratch: GatewayScratch, _ certificates: TestCertificates, mutual: Bool = false
    ) async throws -> ServiceProcess {
        var arguments = [
            "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository",
            try scratch.repository("v1", version: 1),
            "--log-level", "warning", "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
        ]
        if mutual { arguments += ["--tls-client-ca", certificates.caCertificate] }
        return try await ServiceProcess.start("model-worker", arguments)
    }

    private func route(_ scratch: GatewayScratch, to worker: ServiceProcess) throws {
        try scratch.writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(worker.port)"]}
            """)
    }

    private func call(_ port: Int, _ extra: [String]) async throws -> [String: Any] {
        try await PythonPeer.json("tls_client_checks.py", [String(port), "iris"] + extra)
    }

    @Test func aPlaintextGatewayForwardsToATLSWorker() async throws {
        let scratch = try GatewayScratch()
        let certificates = try await TestCertificates.make()
        let worker = try await tlsWorker(scratch, certificates)
        try route(scratch, to: worker)
        let gateway = try await Mesh.gateway(scratch, extra: ["--upstream-tls-ca", certificates.caCertificate])

        let result = try await call(gateway.port, ["--plaintext"])
        #expect(result["live"] as? Bool == true, "\(result)")
        let infer = result["infer"] as? [String: Any]
        #expect(infer?["labels"] as? [Int] == [0, 2], "\(result)")

        #expect(await gateway.terminate() == 0)
        _ = await worker.terminate()
    }

    @Test func aTLSGatewayWithAClientCertificateForwardsToAMutualTLSWorker() async throws {
        let scratch = try GatewayScratch()
        let certificates = try await TestCertificates.make()
        let worker = try await tlsWorker(scratch, certificates, mutual: true)
        try route(scratch, to: worker)
        let gateway = try await Mesh.gateway(
            scratch,
            extra: [
                "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
                "--upstream-tls-ca", certificates.caCertificate, "--upstream-tls-server-name", "localhost",
                "--upstream-tls-cert", certificates.clientCertificate, "--upstream-tls-key", certificates.clientKey,
            ])

        let result = try await call(gateway.port, ["--ca", certificates.caCertificate])
        #expect(result["live"] as? Bool == true, "\(result)")
        #expect((result["infer"] as? [String: Any])?["labels"] as? [Int] == [0, 2], "\(result)")

        #expect(await gateway.terminate() == 0)
        _ = await worker.terminate()
    }

    @Test func withoutUpstreamTLSTheCallIsUnavailableAndNothingBreaks() async throws {
        let scratch = try GatewayScratch()
        let certificates = try await TestCertificates.make()
        let worker = try await tlsWorker(scratch, certificates)
        try route(scratch, to: worker)
        // The gateway speaks plaintext to a TLS worker: its calls are refused, the gateway stays up.
        let gateway = try await Mesh.gateway(scratch)

        let result = try await call(gateway.port, ["--plaintext"])
        #expect(result["live"] as? Bool == true, "\(result)")
        let infer = result["infer"] as? String ?? ""
        #expect(infer.hasPrefix("StatusCode.UNAVAILABLE"), "\(result)")

        #expect(await gateway.terminate() == 0)
        _ = await worker.terminate()
    }

    @Test func badUpstreamTLSFlagsAreCommandLineErrors() async throws {
        let scratch = try GatewayScratch()
        let certificates = try await TestCertificates.make()
        try scratch.writeRoutes("models: {}\n")
        func expectError(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
        {
            let run = try await ExecutableRun.run(
                "gateway",
                ["--routes", "\(scratch.root)/routes.yaml", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]
                    + arguments)
            #expect(run.status != 0, sourceLocation: sourceLocation)
            #expect(run.stderr.contains(message), "\(run.stderr)", sourceLocation: sourceLocation)
        }
        try await expectError(
            ["--upstream-tls-cert", certificates.clientCertificate], "--upstream-tls-cert needs --upstream-tls-key")
        try await expectError(
            ["--upstream-tls-ca", "/nonexistent/ca.pem"],
            "--upstream-tls-ca /nonexistent/ca.pem: cannot open: No such file or directory")
        let garbage = try certificates.write("garbage.pem", "garbage\n")
        try await expectError(["--upstream-tls-ca", garbage], "--upstream-tls-ca \(garbage): no PEM certificate found")
        try await expectError(
            ["--upstream-tls-cert", certificates.clientCertificate, "--upstream-tls-key", certificates.serverKey],
            "--upstream-tls-key \(certificates.serverKey): the private key does not match")
        try await expectError(["--upstream-tls-server-name", "127.0.0.1"], "--upstream-tls-server-name")
        try await expectError(["--tls-cert", certificates.serverCertificate], "--tls-cert needs --tls-key")
    }
}

import AdminAPI
import Foundation
import InferCLICore
import InferenceAPI
import RPCCore
import RPCTransport
import TestSupport
import Testing

/// The real `infer-cli` binary against the fake gateway serving TLS and mutual TLS, with
/// certificates made by openssl for each test.
@Suite struct TLSEndToEndTests {
    private static let rows = "sepal_length,species\n5.1,setosa\n"

    /// Runs `body` with the port of a fake gateway serving `tls`.
    private func withTLSGateway<T>(_ tls: ServerTLS?, _ body: (Int) async throws -> T) async throws -> T {
        try await withServer(
            services: [InferenceService(handler: FakeInference()), GatewayAdminService(handler: FakeAdmin())],
            configure: { $0.tls = tls }
        ) { _, port in try await body(port) }
    }

    @Test func everySubcommandWorksOverTLSWithTheRightCA() async throws {
        let certificates = try await TestCertificates.make()
        let files = try InputFiles()
        let input = try files.write("rows.csv", Self.rows)
        let tls = try ServerTLS(certificateFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey)
        try await withTLSGateway(tls) { port in
            let options = ["--gateway", "127.0.0.1:\(port)", "--tls-ca", certificates.caCertificate]
            let infer = try await CLIRunner.run(["infer", "iris", "--input", input, "--version", "7"] + options)
            #expect(infer.status == 0, "\(infer.stderr)")
            #expect(infer.stdout.hasPrefix("ROW  VERSION  label  probability\n  1  7"), "\(infer.stdout)")
            for command in [["routes"], ["routes", "get", "iris"], ["canary", "status", "iris"], ["hints"], ["health"]] {
                let result = try await CLIRunner.run(command + options)
                #expect(result.status == 0, "\(command): \(result.stderr)")
                #expect(!result.stdout.isEmpty, "\(command)")
            }
            // The options may come before the subcommand's name too.
            let first = try await CLIRunner.run(options + ["hints"])
            #expect(first.stdout == Fixtures.hints.table, "\(first.stderr)")
        }
    }

    @Test func anUntrustedGatewayCertificateFailsWithOneClearLine() async throws {
        let certificates = try await TestCertificates.make()
        let tls = try ServerTLS(certificateFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey)
        try await withTLSGateway(tls) { port in
            let gateway = ["--gateway", "127.0.0.1:\(port)"]
            let expected = "error: UNAVAILABLE: TLS handshake with 127.0.0.1:\(port) failed: certificate verify failed\n"
            // Trusting another CA, or the system's (which never signed the test CA).
            let wrongCA = try await CLIRunner.run(["routes", "--tls-ca", "\(certificates.directory)/other-ca.pem"] + gateway)
            #expect(wrongCA.status == 1)
            #expect(wrongCA.stderr == expected)
            let systemRoots = try await CLIRunner.run(["health", "--tls"] + gateway)
            #expect(systemRoots.status == 1)
            #expect(systemRoots.stderr == expected)
            // A plaintext CLI is told the port may want TLS.
            let plaintext = try await CLIRunner.run(["hints"] + gateway)
            #expect(plaintext.status == 1)
            #expect(plaintext.stderr.hasPrefix("error: UNAVAILABLE: connection to 127.0.0.1:\(port) "), "\(plaintext.stderr)")
            #expect(
                plaintext.stderr.hasSuffix(" (if the gateway serves TLS, add --tls or --tls-ca FILE)\n"), "\(plaintext.stderr)")
        }
        // And --tls against a plaintext port.
        try await withTLSGateway(nil) { port in
            let result = try await CLIRunner.run([
                "hints", "--gateway", "127.0.0.1:\(port)", "--tls-ca", certificates.caCertificate,
            ])
            #expect(result.status == 1)
            #expect(
                result.stderr.hasPrefix("error: UNAVAILABLE: TLS handshake with 127.0.0.1:\(port) failed: "), "\(result.stderr)")
            #expect(result.stderr.hasSuffix("(the gateway does not seem to speak TLS on this port)\n"), "\(result.stderr)")
        }
    }

    @Test func theServerNameCanBeGivenForACertificateWithoutTheAddress() async throws {
        let certificates = try await TestCertificates.make()
        let tls = try ServerTLS(
            certificateFile: certificates.localhostOnlyCertificate, privateKeyFile: certificates.localhostOnlyKey)
        try await withTLSGateway(tls) { port in
            let options = ["--gateway", "127.0.0.1:\(port)", "--tls-ca", certificates.caCertificate]
            let named = try await CLIRunner.run(["hints", "--tls-server-name", "localhost"] + options)
            #expect(named.status == 0, "\(named.stderr)")
            let unnamed = try await CLIRunner.run(["hints"] + options)
            #expect(unnamed.status == 1)
            #expect(
                unnamed.stderr.hasPrefix("error: UNAVAILABLE: TLS handshake with 127.0.0.1:\(port) failed: "), "\(unnamed.stderr)"
            )
        }
    }

    @Test func mutualTLSNeedsAClientCertificateFromTheClientCA() async throws {
        let certificates = try await TestCertificates.make()
        let files = try InputFiles()
        let input = try files.write("rows.csv", Self.rows)
        let tls = try ServerTLS(
            certificateFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey,
            clientCertificateAuthorityFile: certificates.caCertificate)
        try await withTLSGateway(tls) { port in
            let options = ["--gateway", "127.0.0.1:\(port)", "--tls-ca", certificates.caCertificate]
            let trusted = options + ["--tls-cert", certificates.clientCertificate, "--tls-key", certificates.clientKey]
            let infer = try await CLIRunner.run(["infer", "iris", "--input", input] + trusted)
            #expect(infer.status == 0, "\(infer.stderr)")
            let routes = try await CLIRunner.run(["routes"] + trusted)
            #expect(routes.stdout == Fixtures.routes.table, "\(routes.stderr)")

            let anonymous = try await CLIRunner.run(["infer", "iris", "--input", input] + options)
            #expect(anonymous.status == 1)
            #expect(
                anonymous.stderr.hasPrefix("error: UNAVAILABLE: TLS handshake with 127.0.0.1:\(port) failed: "),
                "\(anonymous.stderr)")
            #expect(
                anonymous.stderr.hasSuffix("(it may require a client certificate: give --tls-cert and --tls-key)\n"),
                "\(anonymous.stderr)")

            let stranger = try await CLIRunner.run(
                ["canary", "status"] + options + [
                    "--tls-cert", certificates.strangerCertificate, "--tls-key", certificates.strangerKey,
                ])
            #expect(stranger.status == 1)
            #expect(
                stranger.stderr.hasPrefix("error: UNAVAILABLE: TLS handshake with 127.0.0.1:\(port) failed: "),
                "\(stranger.stderr)")
            #expect(
                stranger.stderr.hasSuffix("(is the client certificate from a CA the gateway trusts?)\n"), "\(stranger.stderr)")
        }
    }

    @Test func badTLSFilesAndFlagsFailBeforeAnyCall() async throws {
        let certificates = try await TestCertificates.make()
        // Nothing listens there: these errors must come before any connection.
        let gateway = ["--gateway", "127.0.0.1:\(try ClosedPort.pick())"]

        let missing = try await CLIRunner.run(["routes", "--tls-ca", "/nonexistent/ca.pem"] + gateway)
        #expect(missing.status == 2)
        #expect(missing.stderr == "error: --tls-ca /nonexistent/ca.pem: cannot open: No such file or directory\n")

        let garbage = try certificates.write("garbage.pem", "not a certificate\n")
        let notPEM = try await CLIRunner.run(["hints", "--tls-ca", garbage] + gateway)
        #expect(notPEM.status == 2)
        #expect(notPEM.stderr == "error: --tls-ca \(garbage): no PEM certificate found\n")

        let mismatch = try await CLIRunner.run(
            ["health", "--tls-cert", certificates.clientCertificate, "--tls-key", certificates.serverKey] + gateway)
        #expect(mismatch.status == 2)
        #expect(
            mismatch.stderr
                == "error: --tls-key \(certificates.serverKey): the private key does not match the certificate in \(certificates.clientCertificate)\n"
        )

        let unreadableKey = try await CLIRunner.run(
            ["health", "--tls-cert", certificates.clientCertificate, "--tls-key", certificates.directory] + gateway)
        #expect(unreadableKey.status == 2)
        #expect(
            unreadableKey.stderr.hasPrefix("error: --tls-key \(certificates.directory): cannot read: "), "\(unreadableKey.stderr)"
        )

        let halfPair = try await CLIRunner.run(["hints", "--tls-cert", certificates.clientCertificate] + gateway)
        #expect(halfPair.status == 64)
        #expect(halfPair.stderr.contains("--tls-cert needs --tls-key"), "\(halfPair.stderr)")

        let address = try await CLIRunner.run(["hints", "--tls-server-name", "10.0.0.1"] + gateway)
        #expect(address.status == 64)
        #expect(address.stderr.contains("--tls-server-name '10.0.0.1' is not a DNS name"), "\(address.stderr)")
    }
}

/// How connection failures are put to the user, without a connection.
@Suite struct ConnectionFailureTests {
    private let gateway = GatewayAddress(host: "10.0.0.7", port: 8001)

    @Test func handshakeFailuresBecomeOneLine() {
        let attempt = ConnectionFailure.Attempt(gateway: gateway, tls: true)
        let failed = ConnectionFailure.describe(
            RPCError(
                .unavailable, "cannot connect to 10.0.0.7:8001: TLS handshake failed: certificate verify failed",
                unprocessed: true),
            attempt: attempt)
        #expect(failed.message == "TLS handshake with 10.0.0.7:8001 failed: certificate verify failed")
        #expect(failed.code == .unavailable)
        #expect(failed.unprocessed)

        let timedOut = ConnectionFailure.describe(
            RPCError(.unavailable, "cannot connect to 10.0.0.7:8001: TLS handshake not finished within 5.0 seconds"),
            attempt: attempt)
        #expect(timedOut.message == "TLS handshake with 10.0.0.7:8001 failed: no answer within 5.0 seconds")

        let refused = ConnectionFailure.describe(
            RPCError(
                .unavailable,
                "cannot connect to 10.0.0.7:8001: refused after the TLS handshake: tlsv13 alert certificate required"),
            attempt: ConnectionFailure.Attempt(gateway: gateway, tls: true, clientCertificate: true))
        #expect(
            refused.message == """
                TLS handshake with 10.0.0.7:8001 failed: the gateway refused the connection: tlsv13 alert certificate required \
                (is the client certificate from a CA the gateway trusts?)
                """)
    }

    @Test func otherErrorsStayAsTheyAre() {
        let attempt = ConnectionFailure.Attempt(gateway: gateway, tls: true)
        let refusedConnect = RPCError(.unavailable, "cannot connect to 10.0.0.7:8001: connection refused (errno: 111)")
        #expect(ConnectionFailure.describe(refusedConnect, attempt: attempt) == refusedConnect)
        let status = RPCError(.invalidArgument, "TLS handshake failed: in a model's message")
        #expect(ConnectionFailure.describe(status, attempt: attempt) == status)
        let plaintext = ConnectionFailure.Attempt(gateway: gateway, tls: false)
        #expect(ConnectionFailure.describe(refusedConnect, attempt: plaintext) == refusedConnect)
        // A plaintext client whose connection the port closed at once gets a hint.
        let closed = ConnectionFailure.describe(RPCError(.unavailable, "connection to 10.0.0.7:8001 closed"), attempt: plaintext)
        #expect(closed.message == "connection to 10.0.0.7:8001 closed (if the gateway serves TLS, add --tls or --tls-ca FILE)")
        let unusable = ConnectionFailure.describe(
            RPCError(.unavailable, "connection to 10.0.0.7:8001 is not usable"), attempt: plaintext)
        #expect(unusable.message.hasSuffix("(if the gateway serves TLS, add --tls or --tls-ca FILE)"))
        let closedOverTLS = RPCError(.unavailable, "connection to 10.0.0.7:8001 closed")
        #expect(ConnectionFailure.describe(closedOverTLS, attempt: attempt) == closedOverTLS)
    }
}

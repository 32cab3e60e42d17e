import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import RPCCore
import TestSupport
import Testing

@testable import RPCTransport

/// Our client and server over TLS, in process, with certificates made by openssl for each test.
@Suite("TLS between our client and our server")
struct TLSTests {
    private func serverTLS(_ certificates: TestCertificates, mutual: Bool = false) throws -> ServerTLS {
        try ServerTLS(
            certificateFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey,
            clientCertificateAuthorityFile: mutual ? certificates.caCertificate : nil)
    }

    /// A client whose first retry waits `backoff`: long enough, tests see the state a failure left.
    private func makeClient(port: Int, tls: ClientTLS?, backoff: Duration = .milliseconds(100)) -> RPCClient {
        var configuration = ClientConfiguration()
        configuration.tls = tls
        configuration.connectTimeout = .seconds(2)
        configuration.backoff.initial = backoff
        return RPCClient(host: "127.0.0.1", port: port, configuration: configuration)
    }

    @Test func unaryAndStreamingCallsOverTLS() async throws {
        let certificates = try await TestCertificates.make()
        let tls = try serverTLS(certificates)
        #expect(!tls.requiresClientCertificate)
        try await withServer(services: [TestService()], configure: { $0.tls = tls }) { _, port in
            let client = makeClient(port: port, tls: try ClientTLS(trustRootsFile: certificates.caCertificate))
            let reply = try await client.unary(TestService.echo, RawBytes([1, 2, 3]), as: RawBytes.self)
            #expect(reply.message.bytes == [1, 2, 3])
            #expect(client.state == .ready)
            // Large enough to cross many TLS records and HTTP/2 flow-control windows.
            let payload = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let big = try await client.unary(TestService.echo, RawBytes(payload), as: RawBytes.self)
            #expect(big.message.bytes == payload)
            var indices: [UInt8] = []
            for try await reply in client.serverStreaming(TestService.stream, RawBytes([20, 1]), as: RawBytes.self) {
                indices.append(reply.bytes.first ?? 255)
            }
            #expect(indices == Array(0..<20))
            await client.close()
        }
    }

    @Test func theServerNameIsCheckedAgainstTheCertificate() async throws {
        let certificates = try await TestCertificates.make()
        // A certificate naming only localhost: connecting to 127.0.0.1 needs that name given.
        let tls = try ServerTLS(
            certificateFile: certificates.localhostOnlyCertificate, privateKeyFile: certificates.localhostOnlyKey)
        try await withServer(services: [TestService()], configure: { $0.tls = tls }) { _, port in
            let named = makeClient(
                port: port, tls: try ClientTLS(trustRootsFile: certificates.caCertificate, serverHostname: "localhost"))
            #expect(try await named.unary(TestService.echo, RawBytes([7]), as: RawBytes.self).message.bytes == [7])
            await named.close()

            for serverHostname in ["db.example", nil] {
                let wrongName = makeClient(
                    port: port, tls: try ClientTLS(trustRootsFile: certificates.caCertificate, serverHostname: serverHostname))
                let error = await expectStatus(.unavailable) {
                    try await wrongName.unary(TestService.echo, RawBytes([7]), as: RawBytes.self)
                }
                #expect(error?.message.contains("TLS handshake failed") == true, "\(error.map { "\($0)" } ?? "")")
                await wrongName.close()
            }
        }
    }

    @Test func anUntrustedServerCertificateIsRefused() async throws {
        let certificates = try await TestCertificates.make()
        try await withServer(services: [TestService()], configure: { $0.tls = try? serverTLS(certificates) }) { _, port in
            // Trusting only the other CA: the server's certificate does not verify.
            let client = makeClient(
                port: port, tls: try ClientTLS(trustRootsFile: "\(certificates.directory)/other-ca.pem"), backoff: .seconds(60))
            let error = await expectStatus(.unavailable) {
                try await client.unary(TestService.echo, RawBytes([1]), as: RawBytes.self)
            }
            #expect(
                error?.message.hasSuffix("TLS handshake failed: certificate verify failed") == true,
                "\(error.map { "\($0)" } ?? "")")
            // The failed handshake backs off like a refused connect instead of spinning.
            #expect(client.state == .transientFailure)
            await client.close()
        }
    }

    @Test func mutualTLSAcceptsOnlyCertificatesFromTheClientCA() async throws {
        let certificates = try await TestCertificates.make()
        let tls = try serverTLS(certificates, mutual: true)
        #expect(tls.requiresClientCertificate)
        try await withServer(services: [TestService()], configure: { $0.tls = tls }) { server, port in
            let anonymous = makeClient(
                port: port, tls: try ClientTLS(trustRootsFile: certificates.caCertificate), backoff: .seconds(60))
            await expectStatus(.unavailable) { try await anonymous.unary(TestService.echo, RawBytes([1]), as: RawBytes.self) }
            #expect(anonymous.state == .transientFailure)
            await anonymous.close()

            let stranger = makeClient(
                port: port,
                tls: try ClientTLS(
                    trustRootsFile: certificates.caCertificate, certificateFile: certificates.strangerCertificate,
                    privateKeyFile: certificates.strangerKey))
            await expectStatus(.unavailable) { try await stranger.unary(TestService.echo, RawBytes([2]), as: RawBytes.self) }
            await stranger.close()

            let trusted = makeClient(
                port: port,
                tls: try ClientTLS(
                    trustRootsFile: certificates.caCertificate, certificateFile: certificates.clientCertificate,
                    privateKeyFile: certificates.clientKey))
            #expect(try await trusted.unary(TestService.echo, RawBytes([3]), as: RawBytes.self).message.bytes == [3])
            // The refused connections are gone; the good one stays.
            try await eventually { server.connectionCount == 1 }
            await trusted.close()
        }
    }

    @Test func plaintextAndTLSMismatchesFailCleanlyAndTheServerKeepsServing() async throws {
        let certificates = try await TestCertificates.make()
        try await withServer(services: [TestService()], configure: { $0.tls = try? serverTLS(certificates) }) { _, port in
            let plaintext = makeClient(port: port, tls: nil)
            await expectStatus(.unavailable) { try await plaintext.unary(TestService.echo, RawBytes([1]), as: RawBytes.self) }
            await plaintext.close()

            let secure = makeClient(port: port, tls: try ClientTLS(trustRootsFile: certificates.caCertificate))
            #expect(try await secure.unary(TestService.echo, RawBytes([2]), as: RawBytes.self).message.bytes == [2])
            await secure.close()
        }
        // And a TLS client against a plaintext server.
        try await withServer(services: [TestService()]) { _, port in
            let secure = makeClient(port: port, tls: try ClientTLS(trustRootsFile: certificates.caCertificate))
            let error = await expectStatus(.unavailable) {
                try await secure.unary(TestService.echo, RawBytes([1]), as: RawBytes.self)
            }
            #expect(error?.message.contains("TLS handshake failed") == true, "\(error.map { "\($0)" } ?? "")")
            await secure.close()
        }
    }

    @Test func aSilentConnectionIsClosedWhenTheHandshakeTimesOut() async throws {
        let certificates = try await TestCertificates.make()
        var tls = try serverTLS(certificates)
        tls.handshakeTimeout = .milliseconds(200)
        try await withServer(services: [TestService()], configure: { $0.tls = tls }) { server, port in
            // A TCP connection that never starts a handshake.
            let started = ContinuousClock.now
            let idle = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            try await idle.closeFuture.get()
            // Closed by the 200 ms timeout, not left open (generous: a loaded machine stalls for seconds).
            #expect(ContinuousClock.now - started < .seconds(15))
            try await eventually { server.connectionCount == 0 }
            // The server still takes TLS clients.
            let client = makeClient(port: port, tls: try ClientTLS(trustRootsFile: certificates.caCertificate))
            #expect(try await client.unary(TestService.echo, RawBytes([4]), as: RawBytes.self).message.bytes == [4])
            await client.close()
        }
    }

    @Test func certificateFilesAreCheckedWithErrorsNamingTheFile() async throws {
        let certificates = try await TestCertificates.make()
        func failure(_ make: () throws -> Void) -> TLSFileError? {
            do {
                try make()
                return nil
            } catch {
                return error as? TLSFileError
            }
        }
        let missing = failure {
            _ = try ServerTLS(certificateFile: "/nonexistent/cert.pem", privateKeyFile: certificates.serverKey)
        }
        #expect(missing?.role == .certificateChain)
        #expect(missing?.description == "certificate file /nonexistent/cert.pem: cannot open: No such file or directory")

        let garbage = try certificates.write("garbage.pem", "this is not a certificate\n")
        let noPEM = failure { _ = try ServerTLS(certificateFile: garbage, privateKeyFile: certificates.serverKey) }
        #expect(noPEM?.description == "certificate file \(garbage): no PEM certificate found")

        let truncated = try certificates.write("truncated.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        let badPEM = failure { _ = try ServerTLS(certificateFile: truncated, privateKeyFile: certificates.serverKey) }
        #expect(badPEM?.reason.hasPrefix("not a valid PEM certificate") == true, "\(badPEM.map { "\($0)" } ?? "")")

        let noKey = failure {
            _ = try ServerTLS(certificateFile: certificates.serverCertificate, privateKeyFile: certificates.serverCertificate)
        }
        #expect(noKey?.description == "private key file \(certificates.serverCertificate): no PEM private key found")

        let mismatch = failure {
            _ = try ServerTLS(certificateFile: certificates.serverCertificate, privateKeyFile: certificates.clientKey)
        }
        #expect(mismatch?.role == .privateKey)
        #expect(mismatch?.reason == "the private key does not match the certificate in \(certificates.serverCertificate)")

        let emptyFile = try certificates.write("empty.pem", "")
        let empty = failure {
            _ = try ServerTLS(
                certificateFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey,
                clientCertificateAuthorityFile: emptyFile)
        }
        #expect(empty?.role == .trustRoots)
        #expect(empty?.reason == "the file is empty")

        let encrypted = try certificates.write(
            "encrypted.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n")
        let locked = failure { _ = try ServerTLS(certificateFile: certificates.serverCertificate, privateKeyFile: encrypted) }
        #expect(locked?.reason == "the private key is encrypted; give an unencrypted key")

        let halfClient = failure { _ = try ClientTLS(certificateFile: certificates.clientCertificate) }
        #expect(halfClient?.reason == "a client certificate needs its private key too")
        let clientMismatch = failure {
            _ = try ClientTLS(certificateFile: certificates.clientCertificate, privateKeyFile: certificates.serverKey)
        }
        #expect(clientMismatch?.reason == "the private key does not match the certificate in \(certificates.clientCertificate)")
    }

    @Test func reloadServesTheNewFilesToNewConnectionsWhileOpenOnesContinue() async throws {
        let first = try await TestCertificates.make()
        let second = try await TestCertificates.make()
        let certificate = try first.write("live.pem", first.contents(first.serverCertificate))
        let key = try first.write("live.key", first.contents(first.serverKey))
        let tls = try ServerTLS(certificateFile: certificate, privateKeyFile: key)
        #expect(tls.files == ServerTLS.Files(certificateChain: certificate, privateKey: key))
        try await withServer(services: [TestService()], configure: { $0.tls = tls }) { _, port in
            func client(trusting certificates: TestCertificates) throws -> RPCClient {
                makeClient(port: port, tls: try ClientTLS(trustRootsFile: certificates.caCertificate), backoff: .seconds(60))
            }
            let early = try client(trusting: first)
            #expect(try await early.unary(TestService.echo, RawBytes([1]), as: RawBytes.self).message.bytes == [1])

            // The second set's certificate comes from another CA: only its clients accept it.
            _ = try first.write("live.pem", second.contents(second.serverCertificate))
            _ = try first.write("live.key", second.contents(second.serverKey))
            try tls.reload()
            let late = try client(trusting: second)
            #expect(try await late.unary(TestService.echo, RawBytes([2]), as: RawBytes.self).message.bytes == [2])
            let lateFirst = try client(trusting: first)
            let refused = await expectStatus(.unavailable) {
                try await lateFirst.unary(TestService.echo, RawBytes([3]), as: RawBytes.self)
            }
            #expect(refused?.message.hasSuffix("certificate verify failed") == true, "\(refused.map { "\($0)" } ?? "")")
            // The connection made before the reload keeps its certificate and goes on working
            // (a new one would fail like the one above).
            #expect(try await early.unary(TestService.echo, RawBytes([4]), as: RawBytes.self).message.bytes == [4])

            // A key that does not match, or a missing file: the error names it and the second
            // certificate stays.
            _ = try first.write("live.key", first.contents(first.clientKey))
            let mismatch = #expect(throws: TLSFileError.self) { try tls.reload() }
            #expect(mismatch?.role == .privateKey)
            #expect(mismatch?.reason == "the private key does not match the certificate in \(certificate)")
            try FileManager.default.removeItem(atPath: certificate)
            let missing = #expect(throws: TLSFileError.self) { try tls.reload() }
            #expect(missing?.description == "certificate file \(certificate): cannot open: No such file or directory")
            let after = try client(trusting: second)
            #expect(try await after.unary(TestService.echo, RawBytes([5]), as: RawBytes.self).message.bytes == [5])
            for client in [early, late, lateFirst, after] { await client.close() }
        }
    }

    @Test func handshakeErrorsReadAsWords() {
        #expect(
            TLSHandshakeHandler.readableReason(
                "Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at /src/ssl/handshake.cc:395"
            )
                == "certificate verify failed")
        #expect(
            TLSHandshakeHandler.readableReason(
                "Error: 1 error:10000410:SSL routines:OPENSSL_internal:SSLV3_ALERT_HANDSHAKE_FAILURE")
                == "sslv3 alert handshake failure")
        #expect(TLSHandshakeHandler.readableReason("something else") == nil)
    }

    @Test func theClientSendsSchemeHTTPSOverTLS() throws {
        let channel = EmbeddedChannel()
        let handler = ClientConnectionHandler(authority: "127.0.0.1:1", scheme: "https", maxMessageLength: 1024)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let promise = channel.eventLoop.makePromise(of: RawResponse.self)
        handler.start(
            ClientCall(
                path: TestService.echo, metadata: [:], request: [], timeout: nil, maxMessageLength: 1024,
                consumer: .collect(promise)))
        channel.embeddedEventLoop.run()  // the handler flushes from a task on its loop
        let server = try HeaderRecorder()
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
            try bytes.withUnsafeReadableBytes { try server.session.receive($0) }
        }
        #expect(server.requests.first?.first { $0.name == ":scheme" }?.value == "https")
        promise.fail(RPCError(.cancelled, "test over"))
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}

/// The server end of an HTTP/2 connection that only records request header blocks.
private final class HeaderRecorder: HTTP2SessionDelegate {
    let session: HTTP2Session
    private(set) var requests: [HeaderList] = []

    init() throws {
        session = try HTTP2Session(role: .server, settings: .init())
        session.delegate = self
    }

    func session(_ session: HTTP2Session, headers: HeaderList, stream: Int32, endStream: Bool) { requests.append(headers) }
    func session(_ session: HTTP2Session, headerListTooLargeOn stream: Int32, endStream: Bool) {}
    func session(_ session: HTTP2Session, data: UnsafeRawBufferPointer, stream: Int32) {}
    func session(_ session: HTTP2Session, endOfDataOn stream: Int32) {}
    func session(_ session: HTTP2Session, closed stream: Int32, errorCode: UInt32) {}
    func session(_ session: HTTP2Session, goAwayWithLastStream lastStreamID: Int32, errorCode: UInt32) {}
    func sessionReceivedPingAck(_ session: HTTP2Session) {}
}

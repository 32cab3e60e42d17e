import Foundation

/// Certificates made with `openssl` in a temporary directory for TLS tests: a CA, a server
/// certificate for 127.0.0.1 and localhost (and one for localhost only), a client certificate
/// from the same CA, and a client certificate from an unrelated CA. Every key is an unencrypted P-256 key in PEM.
public final class TestCertificates: Sendable {
    public let directory: String

    public var caCertificate: String { "\(directory)/ca.pem" }
    public var serverCertificate: String { "\(directory)/server.pem" }
    public var serverKey: String { "\(directory)/server.key" }
    public var clientCertificate: String { "\(directory)/client.pem" }
    public var clientKey: String { "\(directory)/client.key" }
    /// Signed by the CA for the name localhost only (no IP address).
    public var localhostOnlyCertificate: String { "\(directory)/localhost-only.pem" }
    public var localhostOnlyKey: String { "\(directory)/localhost-only.key" }
    /// Signed by another CA, which the servers under test do not trust.
    public var strangerCertificate: String { "\(directory)/stranger.pem" }
    public var strangerKey: String { "\(directory)/stranger.key" }

    private init(directory: String) {
        self.directory = directory
    }

    /// Makes the certificates (a few openssl runs, off the cooperative pool).
    public static func make() async throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try extensions.write(toFile: "\(directory)/openssl.cnf", atomically: true, encoding: .utf8)
        let certificates = TestCertificates(directory: directory)
        try await certificates.selfSigned("ca", subject: "/CN=inference-mesh test CA")
        try await certificates.selfSigned("other-ca", subject: "/CN=some other CA")
        try await certificates.issue("server", subject: "/CN=localhost", by: "ca", extensions: "server_ext")
        try await certificates.issue("localhost-only", subject: "/CN=localhost", by: "ca", extensions: "localhost_ext")
        try await certificates.issue("client", subject: "/CN=trusted client", by: "ca", extensions: "client_ext")
        try await certificates.issue("stranger", subject: "/CN=untrusted client", by: "other-ca", extensions: "client_ext")
        return certificates
    }

    /// Writes `text` to a file in the directory (garbage PEM and the like) and returns its path.
    public func write(_ name: String, _ text: String) throws -> String {
        let path = "\(directory)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The contents of `path` as text (what a Python peer is handed).
    public func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private static let extensions = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = unused
        [ca_ext]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [server_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1, DNS:localhost
        authorityKeyIdentifier = keyid
        [localhost_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost
        authorityKeyIdentifier = keyid
        [client_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = clientAuth
        authorityKeyIdentifier = keyid

        """

    private static let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    private func selfSigned(_ name: String, subject: String) async throws {
        try await openssl(
            ["req", "-x509", "-config", "openssl.cnf", "-extensions", "ca_ext"] + Self.newKey
                + ["-keyout", "\(name).key", "-out", "\(name).pem", "-days", "2", "-subj", subject])
    }

    private func issue(_ name: String, subject: String, by issuer: String, extensions: String) async throws {
        try await openssl(
            ["req", "-new", "-config", "openssl.cnf"] + Self.newKey
                + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
        try await openssl(
            [
                "x509", "-req", "-in", "\(name).csr", "-CA", "\(issuer).pem", "-CAkey", "\(issuer).key", "-set_serial",
                String(UInt32.random(in: 1...UInt32.max)), "-days", "2", "-extfile", "openssl.cnf", "-extensions", extensions,
                "-out", "\(name).pem",
            ])
    }

    private func openssl(_ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = await PythonPeer.offCooperativePool { () -> String in
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        guard process.terminationStatus == 0 else {
            throw PythonPeer.PeerError(description: "openssl \(arguments.joined(separator: " ")) failed: \(message)")
        }
    }
}

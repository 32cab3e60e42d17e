import Logging
import NIOCore
import NIOSSL

/// TLS on a server's port: the certificate chain and key it presents and, for mutual TLS, the
/// certificate authorities a client's certificate must come from.
///
/// Everything is loaded and checked when the value is made (files readable, PEM present, key
/// matching the certificate), so a bad setting stops the process at startup, not at the first
/// connection. Connections negotiate HTTP/2 with ALPN `h2`; clients that send no ALPN are served
/// HTTP/2 too.
public struct ServerTLS: Sendable {
    /// Shared by every connection: building it parses certificates and keys, so it is made once.
    let context: NIOSSLContext
    /// Whether clients must present a certificate signed by one of the client CAs.
    public let requiresClientCertificate: Bool
    /// Connections whose handshake has not finished by then are closed.
    public var handshakeTimeout: Duration = .seconds(10)

    /// TLS with loaded certificates; `clientCertificateAuthorities` turns on mutual TLS.
    /// Throws NIOSSL's error when the key does not belong to the certificate.
    public init(
        certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey,
        clientCertificateAuthorities: [NIOSSLCertificate]? = nil
    ) throws {
        let chain = certificateChain.map { NIOSSLCertificateSource.certificate($0) }
        var configuration: TLSConfiguration
        if let authorities = clientCertificateAuthorities {
            configuration = .makeServerConfigurationWithMTLS(
                certificateChain: chain, privateKey: .privateKey(privateKey), trustRoots: .certificates(authorities))
            // Tells clients which CAs are accepted, so those holding several certificates pick the right one.
            configuration.sendCANameList = true
        } else {
            configuration = .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
        }
        // HTTP/2 requires TLS 1.2 or later (RFC 9113, section 9.2).
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2"]
        // Closing waits this long for the peer's close_notify; a silent peer must not hold up
        // shutdown, which closes the remaining connections one after another.
        configuration.shutdownTimeout = .seconds(1)
        context = try NIOSSLContext(configuration: configuration)
        requiresClientCertificate = clientCertificateAuthorities != nil
    }

    /// TLS from PEM files: the certificate chain (leaf first), its private key, and optionally
    /// the CA certificates that sign acceptable client certificates (mutual TLS).
    public init(
        certificateFile: String, privateKeyFile: String, clientCertificateAuthorityFile: String? = nil
    ) throws(TLSFileError) {
        let chain = try PEMFile.certificates(at: certificateFile, role: .certificateChain)
        let key = try PEMFile.privateKey(at: privateKeyFile)
        let authorities = try clientCertificateAuthorityFile.map { path throws(TLSFileError) in
            try PEMFile.certificates(at: path, role: .trustRoots)
        }
        do {
            try self.init(certificateChain: chain, privateKey: key, clientCertificateAuthorities: authorities)
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw TLSFileError(
                role: .privateKey, path: privateKeyFile,
                reason: "the private key does not match the certificate in \(certificateFile)")
        } catch {
            throw TLSFileError(role: .certificateChain, path: certificateFile, reason: "cannot be used for TLS (\(error))")
        }
    }

    /// Puts TLS in front of whatever the connection's pipeline gets next. A failed handshake is
    /// logged with the peer (info when TLS itself failed, debug when the peer just left) and
    /// ends only that connection.
    func addHandlers(to channel: any Channel, logger: Logger) throws {
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(NIOSSLServerHandler(context: context))
        try pipeline.addHandler(TLSHandshakeHandler(completion: handshake, timeout: handshakeTimeout, readyWhen: .handshakeCompleted))
        let peer = channel.remoteAddress.map { "\($0)" } ?? "unknown"
        handshake.futureResult.whenFailure { error in
            let level: Logger.Level = (error as? TLSHandshakeError)?.kind == .failed ? .info : .debug
            logger.log(level: level, "TLS handshake failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}

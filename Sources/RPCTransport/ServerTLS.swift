import Logging
import NIOCore
import NIOSSL
import Synchronization

/// TLS on a server's port: the certificate chain and key it presents and, for mutual TLS, the
/// certificate authorities a client's certificate must come from.
///
/// Everything is loaded and checked when the value is made (files readable, PEM present, key
/// matching the certificate), so a bad setting stops the process at startup, not at the first
/// connection. Connections negotiate HTTP/2 with ALPN `h2`; clients that send no ALPN are served
/// HTTP/2 too.
///
/// A value made from files can `reload()` them: copies share what they serve, so the server's
/// new connections get the new certificate while connections already open keep theirs.
public struct ServerTLS: Sendable {
    /// The PEM files a `ServerTLS` was loaded from, read again by `reload()`.
    public struct Files: Sendable, Hashable {
        public var certificateChain: String
        public var privateKey: String
        public var clientCertificateAuthorities: String?

        public init(certificateChain: String, privateKey: String, clientCertificateAuthorities: String? = nil) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.clientCertificateAuthorities = clientCertificateAuthorities
        }
    }

    /// Shared by every connection and every copy: building a context parses certificates and
    /// keys, so it is made once per load; a reload swaps it.
    private let current: CurrentContext
    /// Whether clients must present a certificate signed by one of the client CAs.
    public let requiresClientCertificate: Bool
    /// Where the certificates came from; nil when made from loaded certificates (no reload).
    public let files: Files?
    /// Connections whose handshake has not finished by then are closed.
    public var handshakeTimeout: Duration = .seconds(10)
    /// The ALPN protocols offered, in order of preference (`h2` for gRPC).
    public let applicationProtocols: [String]

    /// TLS with loaded certificates; `clientCertificateAuthorities` turns on mutual TLS.
    /// Throws NIOSSL's error when the key does not belong to the certificate.
    public init(
        certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey,
        clientCertificateAuthorities: [NIOSSLCertificate]? = nil
    ) throws {
        let context = try Self.makeContext(certificateChain, privateKey, clientCertificateAuthorities, protocols: ["h2"])
        current = CurrentContext(context, leaf: certificateChain.first)
        requiresClientCertificate = clientCertificateAuthorities != nil
        files = nil
        applicationProtocols = ["h2"]
    }

    /// TLS from PEM files: the certificate chain (leaf first), its private key, and optionally
    /// the CA certificates that sign acceptable client certificates (mutual TLS).
    /// `applicationProtocols` are offered through ALPN (a port that also serves HTTP/1.1 adds it).
    public init(
        certificateFile: String, privateKeyFile: String, clientCertificateAuthorityFile: String? = nil,
        applicationProtocols: [String] = ["h2"]
    ) throws(TLSFileError) {
        let files = Files(
            certificateChain: certificateFile, privateKey: privateKeyFile,
            clientCertificateAuthorities: clientCertificateAuthorityFile)
        self.applicationProtocols = applicationProtocols
        let (context, leaf) = try Self.load(files, protocols: applicationProtocols)
        current = CurrentContext(context, leaf: leaf)
        requiresClientCertificate = clientCertificateAuthorityFile != nil
        self.files = files
    }

    /// The leaf certificate new connections are served.
    public var certificate: NIOSSLCertificate? { current.leaf }

    /// Reads the files again and serves what they hold to every connection from now on;
    /// connections already open keep the certificate they were served. When a file is missing
    /// or unusable (or the key does not match the certificate) this throws, naming the file,
    /// and the certificate served so far stays. Returns the new leaf certificate.
    @discardableResult
    public func reload() throws(TLSFileError) -> NIOSSLCertificate {
        guard let files else {
            throw TLSFileError(
                role: .certificateChain, path: "(in memory)", reason: "not loaded from files, so there is nothing to reload")
        }
        let (context, leaf) = try Self.load(files, protocols: applicationProtocols)
        current.replace(context, leaf: leaf)
        return leaf
    }

    /// Loads and checks every file, then builds the context.
    private static func load(
        _ files: Files, protocols: [String]
    ) throws(TLSFileError) -> (NIOSSLContext, NIOSSLCertificate) {
        let chain = try PEMFile.certificates(at: files.certificateChain, role: .certificateChain)
        let key = try PEMFile.privateKey(at: files.privateKey)
        let authorities = try files.clientCertificateAuthorities.map { path throws(TLSFileError) in
            try PEMFile.certificates(at: path, role: .trustRoots)
        }
        do {
            return (try makeContext(chain, key, authorities, protocols: protocols), chain[0])
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw TLSFileError(
                role: .privateKey, path: files.privateKey,
                reason: "the private key does not match the certificate in \(files.certificateChain)")
        } catch {
            throw TLSFileError(role: .certificateChain, path: files.certificateChain, reason: "cannot be used for TLS (\(error))")
        }
    }

    private static func makeContext(
        _ certificateChain: [NIOSSLCertificate], _ privateKey: NIOSSLPrivateKey,
        _ clientCertificateAuthorities: [NIOSSLCertificate]?, protocols: [String]
    ) throws -> NIOSSLContext {
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
        configuration.applicationProtocols = protocols
        // Closing waits this long for the peer's close_notify; a silent peer must not hold up
        // shutdown, which closes the remaining connections one after another.
        configuration.shutdownTimeout = .seconds(1)
        return try NIOSSLContext(configuration: configuration)
    }

    /// Puts TLS in front of whatever the connection's pipeline gets next. A failed handshake is
    /// logged with the peer (info when TLS itself failed, debug when the peer just left) and
    /// ends only that connection.
    public func addHandlers(to channel: any Channel, logger: Logger) throws {
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(NIOSSLServerHandler(context: current.context))
        try pipeline.addHandler(
            TLSHandshakeHandler(completion: handshake, timeout: handshakeTimeout, readyWhen: .handshakeCompleted))
        let peer = channel.remoteAddress.map { "\($0)" } ?? "unknown"
        handshake.futureResult.whenFailure { error in
            let level: Logger.Level = (error as? TLSHandshakeError)?.kind == .failed ? .info : .debug
            logger.log(level: level, "TLS handshake failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}

/// The context new connections get, swapped whole by a reload.
private final class CurrentContext: Sendable {
    private let state: Mutex<(context: NIOSSLContext, leaf: NIOSSLCertificate?)>

    init(_ context: NIOSSLContext, leaf: NIOSSLCertificate?) {
        state = Mutex((context, leaf))
    }

    var context: NIOSSLContext { state.withLock { $0.context } }
    var leaf: NIOSSLCertificate? { state.withLock { $0.leaf } }

    func replace(_ context: NIOSSLContext, leaf: NIOSSLCertificate) {
        state.withLock { $0 = (context, leaf) }
    }
}

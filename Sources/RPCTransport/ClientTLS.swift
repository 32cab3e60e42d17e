import NIOCore
import NIOSSL

/// TLS for an `RPCClient`'s connections: which certificate authorities to trust, an optional
/// client certificate (mutual TLS), and the name the server's certificate must carry.
///
/// The server's certificate must come from a trusted CA and carry, as a subjectAltName, either
/// `serverHostname` (else the endpoint's host, unless that is an IP address) or the IP address
/// connected to.
public struct ClientTLS: Sendable {
    /// Shared by every connection: building it parses certificates and keys, so it is made once.
    let context: NIOSSLContext
    /// The name to send in SNI and to verify the server's certificate against, instead of the
    /// endpoint's host.
    public var serverHostname: String?

    /// TLS with loaded certificates. `trustRoots` nil trusts the system's CAs; a certificate
    /// chain and key make the client present them (mutual TLS).
    public init(
        trustRoots: [NIOSSLCertificate]? = nil, certificateChain: [NIOSSLCertificate] = [],
        privateKey: NIOSSLPrivateKey? = nil, serverHostname: String? = nil
    ) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = trustRoots.map { .certificates($0) } ?? .default
        configuration.certificateChain = certificateChain.map { .certificate($0) }
        configuration.privateKey = privateKey.map { .privateKey($0) }
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2"]
        context = try NIOSSLContext(configuration: configuration)
        self.serverHostname = serverHostname
    }

    /// TLS from PEM files: the CAs to trust (nil: the system's), and a client certificate chain
    /// with its key for mutual TLS (both or neither).
    public init(
        trustRootsFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil,
        serverHostname: String? = nil
    ) throws(TLSFileError) {
        let roots = try trustRootsFile.map { path throws(TLSFileError) in try PEMFile.certificates(at: path, role: .trustRoots) }
        var chain: [NIOSSLCertificate] = []
        var key: NIOSSLPrivateKey?
        switch (certificateFile, privateKeyFile) {
        case (nil, nil):
            break
        case (let certificateFile?, let privateKeyFile?):
            chain = try PEMFile.certificates(at: certificateFile, role: .certificateChain)
            key = try PEMFile.privateKey(at: privateKeyFile)
        case (let certificateFile?, nil):
            throw TLSFileError(
                role: .certificateChain, path: certificateFile, reason: "a client certificate needs its private key too")
        case (nil, let privateKeyFile?):
            throw TLSFileError(role: .privateKey, path: privateKeyFile, reason: "a private key needs its client certificate too")
        }
        do {
            try self.init(trustRoots: roots, certificateChain: chain, privateKey: key, serverHostname: serverHostname)
        } catch {
            if case .failedToLoadPrivateKey = error as? NIOSSLError, let certificateFile, let privateKeyFile {
                throw TLSFileError(
                    role: .privateKey, path: privateKeyFile,
                    reason: "the private key does not match the certificate in \(certificateFile)")
            }
            let (role, path) =
                certificateFile.map { (TLSFileError.Role.certificateChain, $0) }
                ?? (.trustRoots, trustRootsFile ?? "(system trust roots)")
            throw TLSFileError(role: role, path: path, reason: "cannot be used for TLS (\(error))")
        }
    }

    /// Adds the TLS handler and the watcher whose `established` completes once the server has
    /// spoken through it; `host` (unless an IP address) is the default server name.
    func addHandlers(to pipeline: ChannelPipeline.SynchronousOperations, host: String, timeout: Duration) throws {
        let established = pipeline.eventLoop.makePromise(of: Void.self)
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        let name = serverHostname ?? (isAddress ? nil : host)
        try pipeline.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
        try pipeline.addHandler(TLSHandshakeHandler(completion: established, timeout: timeout, readyWhen: .firstBytesReceived))
    }
}

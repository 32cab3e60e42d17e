import ArgumentParser
import RPCTransport

/// TLS on the gRPC port, shared by every executable: `--tls-cert` and `--tls-key` (PEM) turn it
/// on, `--tls-client-ca` makes it mutual. Config file keys: `tls-cert`, `tls-key`, `tls-client-ca`.
public struct TLSOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp(
        "PEM certificate chain (leaf first) for TLS on the gRPC port; needs --tls-key. Without it the port speaks plaintext.",
        valueName: "file"))
    public var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key of --tls-cert (unencrypted).", valueName: "file"))
    public var tlsKey: String?

    @Option(help: ArgumentHelp(
        "PEM CA certificates: clients must present a certificate they signed (mutual TLS); needs --tls-cert.",
        valueName: "file"))
    public var tlsClientCa: String?

    public init() {}

    /// Checks the flags go together and loads the files, so a bad certificate stops the process
    /// before anything starts; `serverTLS()` loads them again for the server.
    public func validate() throws {
        _ = try serverTLS()
    }

    /// TLS for the gRPC server, or nil when no certificate was given. The error names the flag
    /// and the file: `--tls-cert /x.pem: no PEM certificate found`.
    public func serverTLS() throws(ValidationError) -> ServerTLS? {
        switch (tlsCert, tlsKey) {
        case (nil, nil):
            guard tlsClientCa == nil else {
                throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)")
            }
            return nil
        case (_?, nil):
            throw ValidationError("--tls-cert needs --tls-key")
        case (nil, _?):
            throw ValidationError("--tls-key needs --tls-cert")
        case (let certificate?, let key?):
            do {
                return try ServerTLS(certificateFile: certificate, privateKeyFile: key, clientCertificateAuthorityFile: tlsClientCa)
            } catch {
                throw ValidationError(Self.message(for: error))
            }
        }
    }

    private static func message(for error: TLSFileError) -> String {
        let flag = switch error.role {
        case .certificateChain: "--tls-cert"
        case .privateKey: "--tls-key"
        case .trustRoots: "--tls-client-ca"
        }
        return "\(flag) \(error.path): \(error.reason)"
    }
}

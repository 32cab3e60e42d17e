import ArgumentParser
import RPCTransport

/// TLS on the gRPC port, shared by every executable: `--tls-cert` and `--tls-key` (PEM) turn it
/// on, `--tls-client-ca` makes it mutual. Config file keys: `tls-cert`, `tls-key`, `tls-client-ca`.
/// SIGHUP reads the three files again (see `ServerTLSReloads`).
public struct TLSOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "PEM certificate chain (leaf first) for TLS on the gRPC port; needs --tls-key. Without it the port speaks plaintext. SIGHUP reads the --tls-* files again for new connections.",
            valueName: "file"))
    public var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key of --tls-cert (unencrypted).", valueName: "file"))
    public var tlsKey: String?

    @Option(
        help: ArgumentHelp(
            "PEM CA certificates: clients must present a certificate they signed (mutual TLS); needs --tls-cert.",
            valueName: "file"))
    public var tlsClientCa: String?

    public init() {}

    /// Checks the flags go together and loads the files, so a bad certificate stops the process
    /// before anything starts; `serverTLS()` loads them again for the server.
    public func validate() throws {
        _ = try loadServerTLS()
    }

    /// TLS for the gRPC server, or nil when no certificate was given; from now on SIGHUP reloads
    /// its files (`ServiceRuntime.run`). The error names the flag and the file:
    /// `--tls-cert /x.pem: no PEM certificate found`.
    public func serverTLS() throws(ValidationError) -> ServerTLS? {
        let tls = try loadServerTLS()
        if let tls { ServerTLSReloads.register(tls) }
        return tls
    }

    /// The same certificate for the REST port (`--http-listen`), which offers HTTP/2 and
    /// HTTP/1.1 through ALPN; reloaded on SIGHUP with the gRPC port's.
    public func restTLS() throws(ValidationError) -> ServerTLS? {
        let tls = try loadServerTLS(applicationProtocols: ["h2", "http/1.1"])
        if let tls { ServerTLSReloads.register(tls) }
        return tls
    }

    private func loadServerTLS(applicationProtocols: [String] = ["h2"]) throws(ValidationError) -> ServerTLS? {
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
                return try ServerTLS(
                    certificateFile: certificate, privateKeyFile: key, clientCertificateAuthorityFile: tlsClientCa,
                    applicationProtocols: applicationProtocols)
            } catch {
                throw ValidationError(Self.message(for: error))
            }
        }
    }

    /// The error naming the flag that gave the file.
    static func message(for error: TLSFileError) -> String {
        error.message(certificateFlag: "--tls-cert", keyFlag: "--tls-key", trustRootsFlag: "--tls-client-ca")
    }
}

import ArgumentParser
import InferCLICore
import RPCTransport

/// TLS to the gateway, spelled like the gateway's `--upstream-tls*` flags without the prefix.
struct TLSFlags: ParsableArguments {
    @Flag(
        help:
            "Talk to the gateway over TLS, trusting the system's CAs unless --tls-ca is given (implied by every other --tls-* flag)."
    )
    var tls = false

    @Option(help: ArgumentHelp("PEM CA certificates that sign the gateway's certificate.", valueName: "file"))
    var tlsCa: String?

    @Option(
        help: ArgumentHelp(
            "PEM client certificate chain for a gateway that requires mutual TLS; needs --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key of --tls-cert (unencrypted).", valueName: "file"))
    var tlsKey: String?

    @Option(
        help: ArgumentHelp(
            "Name the gateway's certificate must carry (and SNI), instead of the --gateway host.", valueName: "name"))
    var tlsServerName: String?

    /// Whether any TLS flag was given.
    var enabled: Bool { tls || tlsCa != nil || tlsCert != nil || tlsKey != nil || tlsServerName != nil }

    /// Flags that cannot go together are usage errors; files are read in `clientTLS()`.
    func validate() throws {
        switch (tlsCert, tlsKey) {
        case (_?, nil): throw ValidationError("--tls-cert needs --tls-key")
        case (nil, _?): throw ValidationError("--tls-key needs --tls-cert")
        default: break
        }
        // IPv4 (digits and dots) or IPv6 (colons): SNI carries DNS names only.
        if let name = tlsServerName, name.isEmpty || name.allSatisfy({ $0.isNumber || $0 == "." }) || name.contains(":") {
            throw ValidationError(
                "--tls-server-name '\(name)' is not a DNS name (an IP address in --gateway is checked against the certificate anyway)"
            )
        }
    }

    /// The client's TLS, or nil without TLS flags. A file that cannot be used is an `InputError`
    /// naming the flag and the file: `--tls-ca /x.pem: cannot open: No such file or directory`.
    func clientTLS() throws(InputError) -> ClientTLS? {
        guard enabled else { return nil }
        do {
            return try ClientTLS(
                trustRootsFile: tlsCa, certificateFile: tlsCert, privateKeyFile: tlsKey, serverHostname: tlsServerName)
        } catch {
            let flag =
                switch error.role {
                case .certificateChain: "--tls-cert"
                case .privateKey: "--tls-key"
                case .trustRoots: "--tls-ca"
                }
            throw InputError("\(flag) \(error.path): \(error.reason)")
        }
    }
}

import ArgumentParser
import RPCTransport

/// TLS on a service's calls to its upstreams (the gateway's model workers and preprocessors);
/// every upstream then speaks TLS. Config file keys: the flag names without dashes.
public struct UpstreamTLSOptions: ParsableArguments, Sendable {
    @Flag(
        help:
            "Call upstreams over TLS, trusting the system's CAs unless --upstream-tls-ca is given (implied by every other --upstream-tls-* flag)."
    )
    public var upstreamTls = false

    @Option(help: ArgumentHelp("PEM CA certificates that sign the upstreams' certificates.", valueName: "file"))
    public var upstreamTlsCa: String?

    @Option(
        help: ArgumentHelp(
            "PEM client certificate chain for upstreams that require mutual TLS; needs --upstream-tls-key.", valueName: "file"))
    public var upstreamTlsCert: String?

    @Option(help: ArgumentHelp("PEM private key of --upstream-tls-cert (unencrypted).", valueName: "file"))
    public var upstreamTlsKey: String?

    @Option(
        help: ArgumentHelp(
            "Name the upstreams' certificates must carry (and SNI), instead of each endpoint's host; needed for dns:/// endpoints, which resolve to IP addresses.",
            valueName: "name"))
    public var upstreamTlsServerName: String?

    public init() {}

    /// Checks the flags go together and loads the files before the gateway starts anything.
    public func validate() throws {
        _ = try clientTLS()
    }

    /// TLS for upstream calls, or nil when no --upstream-tls* flag is given. The error names the
    /// flag and the file.
    public func clientTLS() throws(ValidationError) -> ClientTLS? {
        let enabled =
            upstreamTls || upstreamTlsCa != nil || upstreamTlsCert != nil || upstreamTlsKey != nil
            || upstreamTlsServerName != nil
        guard enabled else { return nil }
        // IPv4 (digits and dots) or IPv6 (colons): SNI carries DNS names only.
        if let name = upstreamTlsServerName, name.allSatisfy({ $0.isNumber || $0 == "." }) || name.contains(":") {
            throw ValidationError(
                "--upstream-tls-server-name '\(name)' is an IP address; give a DNS name (IP endpoints are checked against their address anyway)"
            )
        }
        switch (upstreamTlsCert, upstreamTlsKey) {
        case (_?, nil): throw ValidationError("--upstream-tls-cert needs --upstream-tls-key")
        case (nil, _?): throw ValidationError("--upstream-tls-key needs --upstream-tls-cert")
        default: break
        }
        do {
            return try ClientTLS(
                trustRootsFile: upstreamTlsCa, certificateFile: upstreamTlsCert, privateKeyFile: upstreamTlsKey,
                serverHostname: upstreamTlsServerName)
        } catch {
            throw ValidationError(
                error.message(
                    certificateFlag: "--upstream-tls-cert", keyFlag: "--upstream-tls-key", trustRootsFlag: "--upstream-tls-ca"))
        }
    }
}

import RPCCore

/// Turns the transport's report of a connection that failed its TLS handshake into one line a
/// user can act on: `TLS handshake with 127.0.0.1:8001 failed: certificate verify failed`.
public enum ConnectionFailure {
    /// What the client had to offer, for the hints.
    public struct Attempt: Sendable, Hashable {
        public var gateway: GatewayAddress
        /// Whether the CLI spoke TLS.
        public var tls: Bool
        /// Whether it presented a client certificate (`--tls-cert`).
        public var clientCertificate: Bool

        public init(gateway: GatewayAddress, tls: Bool, clientCertificate: Bool = false) {
            self.gateway = gateway
            self.tls = tls
            self.clientCertificate = clientCertificate
        }
    }

    /// `error` rewritten when it is a connection that TLS (or its absence) stopped; any other
    /// error comes back unchanged.
    public static func describe(_ error: RPCError, attempt: Attempt) -> RPCError {
        guard error.code == .unavailable,
            let message = attempt.tls ? tlsFailure(error.message, attempt) : plaintextFailure(error.message, attempt)
        else { return error }
        return RPCError(error.code, message, metadata: error.metadata, unprocessed: error.unprocessed)
    }

    /// The transport says `cannot connect to HOST:PORT: ` and then what its handshake watcher saw.
    private static func tlsFailure(_ message: String, _ attempt: Attempt) -> String? {
        guard message.hasPrefix("cannot connect to ") else { return nil }
        let handshake = "TLS handshake with \(attempt.gateway) failed: "
        if let reason = text(after: "TLS handshake failed: ", in: message) {
            let plaintextPort = reason.contains("wrong version number") || reason.contains("http request")
            return handshake + reason + (plaintextPort ? " (the gateway does not seem to speak TLS on this port)" : "")
        }
        if let reason = text(after: "refused after the TLS handshake: ", in: message) {
            return handshake + "the gateway refused the connection: " + reason + clientCertificateHint(attempt)
        }
        if message.hasSuffix("connection closed right after the TLS handshake") {
            return handshake + "the gateway closed the connection" + clientCertificateHint(attempt)
        }
        if message.hasSuffix("connection closed during the TLS handshake") {
            return handshake + "the gateway closed the connection during the handshake"
        }
        if let limit = text(after: "TLS handshake not finished within ", in: message) {
            return handshake + "no answer within \(limit)"
        }
        return nil
    }

    /// A TLS port closes on the HTTP/2 preface it cannot read as a handshake, which the transport
    /// reports as the connection `closed`, `is not usable` or `failed: ...`.
    private static func plaintextFailure(_ message: String, _ attempt: Attempt) -> String? {
        let connection = "connection to \(attempt.gateway.host):\(attempt.gateway.port) "
        guard message.hasPrefix(connection),
            ["closed", "is not usable", "failed: "].contains(where: { message.dropFirst(connection.count).hasPrefix($0) })
        else { return nil }
        return message + " (if the gateway serves TLS, add --tls or --tls-ca FILE)"
    }

    private static func clientCertificateHint(_ attempt: Attempt) -> String {
        attempt.clientCertificate
            ? " (is the client certificate from a CA the gateway trusts?)"
            : " (it may require a client certificate: give --tls-cert and --tls-key)"
    }

    private static func text(after marker: String, in message: String) -> String? {
        guard let range = message.firstRange(of: marker) else { return nil }
        let rest = message[range.upperBound...]
        return rest.isEmpty ? nil : String(rest)
    }
}

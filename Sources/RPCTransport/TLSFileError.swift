/// A certificate or key file that cannot be used for TLS; the message names the file and why.
public struct TLSFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What the file was meant to hold, so callers can name the flag that gave it.
    public enum Role: Sendable, Hashable {
        /// The certificate chain presented to peers (leaf first).
        case certificateChain
        /// The private key of that chain.
        case privateKey
        /// Certificate authorities trusted to sign the peer's certificate.
        case trustRoots
    }

    public var role: Role
    public var path: String
    public var reason: String

    public var description: String {
        let noun =
            switch role {
            case .certificateChain: "certificate file"
            case .privateKey: "private key file"
            case .trustRoots: "CA file"
            }
        return "\(noun) \(path): \(reason)"
    }

    /// `FLAG PATH: REASON` with the command-line flag that gave the file, so the user knows which
    /// one to fix: `--tls-key /x.key: the private key does not match ...`.
    public func message(certificateFlag: String, keyFlag: String, trustRootsFlag: String) -> String {
        let flag =
            switch role {
            case .certificateChain: certificateFlag
            case .privateKey: keyFlag
            case .trustRoots: trustRootsFlag
            }
        return "\(flag) \(path): \(reason)"
    }
}

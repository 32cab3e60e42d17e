import RPCCore

/// Why an etcd request failed, with a message meant for an operator.
public struct EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No endpoint answered: the message names every endpoint tried and why it failed.
        case unavailable
        /// The user or password was rejected, or the cluster wants credentials the client lacks.
        case authentication
        /// The user may not do this.
        case permissionDenied
        /// The revision asked for was compacted; `revision` is the oldest one still kept (0 when
        /// etcd did not say).
        case compacted(revision: Int64)
        /// The lease does not exist (expired or revoked).
        case leaseNotFound
        /// etcd refused the request as malformed.
        case invalidArgument
        /// Any other status from etcd.
        case other(StatusCode)
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The error for a status etcd (or the transport) ended a call with.
    init(status error: RPCError, path: String) {
        let message = error.message
        switch error.code {
        case .permissionDenied:
            self.init(.permissionDenied, "etcd denied \(path): \(message)")
        case .outOfRange where message.contains("compacted"):
            self.init(.compacted(revision: 0), "etcd: \(message)")
        case .notFound where message.contains("lease not found"):
            self.init(.leaseNotFound, "etcd: \(message)")
        case .invalidArgument where message.contains("user name is empty"), .unauthenticated:
            self.init(
                .authentication,
                "etcd requires authentication for \(path) (\(message)): set --etcd-user and --etcd-password-file")
        case .invalidArgument:
            self.init(.invalidArgument, "etcd rejected \(path): \(message)")
        default:
            self.init(.other(error.code), "etcd \(path) failed: \(error)")
        }
    }
}

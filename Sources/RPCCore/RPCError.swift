/// The error of one RPC: a status code, a message for the caller, and optional trailing metadata.
///
/// Handlers throw it to choose the status their caller sees; the client throws it when a call
/// ends with a status other than OK.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    public var metadata: Metadata
    /// Set by the client when the server never started on the request (no connection, stream
    /// refused, connection draining): another server can safely be asked instead.
    public var unprocessed: Bool
    /// Set by the client when the connection was lost before the server answered anything (no
    /// response headers): the server may or may not have run the call, so only an idempotent
    /// call may be sent again.
    public var unanswered = false

    public init(_ code: StatusCode, _ message: String, metadata: Metadata = [:], unprocessed: Bool = false) {
        self.code = code
        self.message = message
        self.metadata = metadata
        self.unprocessed = unprocessed
    }

    public var description: String { "\(code): \(message)" }
}

/// An error that knows which gRPC status describes it, so handlers can throw domain errors.
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

extension RPCError {
    /// Maps any error a handler threw to the status its caller receives.
    public init(from error: any Error) {
        switch error {
        case let error as RPCError:
            self = error
        case let error as any RPCErrorConvertible:
            self = error.rpcError
        case is CancellationError:
            self = RPCError(.cancelled, "the call was cancelled")
        default:
            self = RPCError(.unknown, "\(error)")
        }
    }
}

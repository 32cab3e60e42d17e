import RPCCore

/// Unary calls to the gateway: the executable implements it over `RPCClient` (with the token and
/// timeout), tests over a fake.
public protocol GatewayConnection: Sendable {
    func call<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, as: Response.Type
    ) async throws(RPCError) -> Response
}

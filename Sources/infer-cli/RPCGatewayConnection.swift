import InferCLICore
import RPCCore
import RPCTransport

/// Calls to the gateway over one HTTP/2 connection, each with the token and the deadline.
struct RPCGatewayConnection: GatewayConnection {
    private let client: RPCClient
    private let metadata: Metadata
    private let timeout: Duration

    init(address: GatewayAddress, token: String?, timeout: Duration) {
        var configuration = ClientConfiguration()
        // Replies hold whole batches of outputs; the gateway's own limit guards requests.
        configuration.maxReceiveMessageLength = 64 * 1024 * 1024
        client = RPCClient(host: address.host, port: address.port, configuration: configuration)
        var metadata = Metadata()
        if let token { metadata.add("authorization", "Bearer \(token)") }
        self.metadata = metadata
        self.timeout = timeout
    }

    func call<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, as: Response.Type
    ) async throws(RPCError) -> Response {
        try await client.unary(path, request, metadata: metadata, timeout: timeout, as: Response.self).message
    }

    func close() async {
        await client.close()
    }
}

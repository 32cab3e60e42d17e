import InferCLICore
import RPCCore
import RPCTransport

/// Calls to the gateway over one HTTP/2 connection (TLS when `tls` is given), each with the
/// token and the deadline.
struct RPCGatewayConnection: GatewayConnection {
    private let client: RPCClient
    private let metadata: Metadata
    private let timeout: Duration
    private let attempt: ConnectionFailure.Attempt

    /// `clientCertificate` says whether `tls` presents one, for the hints of a refused handshake.
    init(address: GatewayAddress, tls: ClientTLS?, clientCertificate: Bool, token: String?, timeout: Duration) {
        var configuration = ClientConfiguration()
        // Replies hold whole batches of outputs; the gateway's own limit guards requests.
        configuration.maxReceiveMessageLength = 64 * 1024 * 1024
        configuration.tls = tls
        client = RPCClient(host: address.host, port: address.port, configuration: configuration)
        attempt = ConnectionFailure.Attempt(gateway: address, tls: tls != nil, clientCertificate: clientCertificate)
        var metadata = Metadata()
        if let token { metadata.add("authorization", "Bearer \(token)") }
        self.metadata = metadata
        self.timeout = timeout
    }

    func call<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, as: Response.Type
    ) async throws(RPCError) -> Response {
        do {
            return try await client.unary(path, request, metadata: metadata, timeout: timeout, as: Response.self).message
        } catch {
            throw ConnectionFailure.describe(error, attempt: attempt)
        }
    }

    func close() async {
        await client.close()
    }
}

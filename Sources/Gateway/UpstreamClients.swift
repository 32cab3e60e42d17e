import NIOCore
import NIOPosix
import RPCTransport
import Synchronization

/// One shared RPC client per replica address, whichever routes use it; clients of addresses no
/// route uses any more are closed.
public final class UpstreamClients: Sendable {
    private let configuration: ClientConfiguration
    private let group: any EventLoopGroup
    private let clients = Mutex<[Upstream: RPCClient]>([:])

    /// Clients connect on `group`'s loops: pass the gRPC server's, with one connection per
    /// loop, and a forwarded call stays on the thread that received it.
    public init(
        configuration: ClientConfiguration = ClientConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.group = group
    }

    /// The client for `upstream`, created (and connecting) on first use.
    public func client(for upstream: Upstream) -> RPCClient {
        let (client, created) = clients.withLock { clients -> (RPCClient, Bool) in
            if let client = clients[upstream] { return (client, false) }
            let client = RPCClient(host: upstream.host, port: upstream.port, configuration: configuration, group: group)
            clients[upstream] = client
            return (client, true)
        }
        if created { client.connect() }
        return client
    }

    /// Closes the clients of every address not in `inUse`.
    public func retain(only inUse: Set<Upstream>) async {
        let stale = clients.withLock { clients -> [RPCClient] in
            let gone = clients.keys.filter { !inUse.contains($0) }
            return gone.compactMap { clients.removeValue(forKey: $0) }
        }
        for client in stale { await client.close() }
    }

    /// Closes every client.
    public func closeAll() async {
        await retain(only: [])
    }
}

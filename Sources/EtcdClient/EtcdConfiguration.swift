import RPCTransport

/// One etcd member's client URL, as host and port.
public struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// Where the etcd cluster is and how to talk to it.
public struct EtcdConfiguration: Sendable {
    /// The members' client endpoints; requests go to one and move to the next when it fails.
    public var endpoints: [EtcdEndpoint]
    /// TLS to every endpoint (etcd's `https://` client URLs); nil speaks plaintext HTTP/2.
    public var tls: ClientTLS?
    /// With `password`, the user the client authenticates as (etcd's `--auth` enabled).
    public var user: String?
    public var password: String?
    /// How long one request may take, over every endpoint it tries.
    public var requestTimeout: Duration = .seconds(2)
    public var connectTimeout: Duration = .seconds(2)
    /// Reconnection backoff of each endpoint's connection.
    public var backoff: ClientConfiguration.Backoff = {
        var backoff = ClientConfiguration.Backoff()
        backoff.initial = .milliseconds(50)
        backoff.maximum = .seconds(2)
        return backoff
    }()
    /// Largest reply accepted (a range over many keys is one message).
    public var maxReceiveMessageLength = 16 * 1024 * 1024

    public init(endpoints: [EtcdEndpoint], tls: ClientTLS? = nil, user: String? = nil, password: String? = nil) {
        self.endpoints = endpoints
        self.tls = tls
        self.user = user
        self.password = password
    }

    /// The RPC client configuration of one endpoint.
    var clientConfiguration: ClientConfiguration {
        var configuration = ClientConfiguration()
        configuration.tls = tls
        configuration.connectTimeout = connectTimeout
        configuration.backoff = backoff
        configuration.maxReceiveMessageLength = maxReceiveMessageLength
        return configuration
    }
}

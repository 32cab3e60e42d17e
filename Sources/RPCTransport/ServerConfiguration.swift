import NIOCore

/// How an `RPCServer` listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// Limits on what a caller may send.
    public struct Limits: Sendable {
        /// Largest request message; bigger ones get RESOURCE_EXHAUSTED before they are buffered.
        public var maxReceiveMessageLength = 4 * 1024 * 1024
        /// Streams a client may have open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS).
        public var maxConcurrentStreams: UInt32 = 256
        /// Largest request header block (SETTINGS_MAX_HEADER_LIST_SIZE); bigger ones get
        /// RESOURCE_EXHAUSTED.
        public var maxHeaderListSize = 16 * 1024
        /// Per-stream receive window advertised in SETTINGS.
        public var initialWindowSize: UInt32 = 1 << 20

        public init() {}
    }

    /// Server-initiated PINGs that find dead connections.
    public struct Keepalive: Sendable {
        /// Time between PINGs on a connection.
        public var interval: TimeAmount = .seconds(60)
        /// How long to wait for a PING's acknowledgement before closing the connection.
        public var timeout: TimeAmount = .seconds(20)

        public init() {}
    }

    public var host: String
    /// 0 picks a free port; `RPCServer.localPort` tells which.
    public var port: Int
    public var limits = Limits()
    public var keepalive = Keepalive()
    /// Event loop threads; one per core by default.
    public var threads = System.coreCount
    /// TLS on the port (ALPN `h2`, optionally mutual); nil serves plaintext HTTP/2.
    public var tls: ServerTLS?

    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }
}

import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP/1.1 ops port: `/metrics`, `/healthz` and `/readyz` on their own event loop, so a
/// busy gRPC port never delays a probe or a scrape.
public final class OpsHTTPServer: Sendable {
    /// Limits on what a client may send.
    public struct Limits: Sendable {
        /// The request line and headers together; bigger requests get 400 and are closed.
        public var maxHeaderBytes = 8 * 1024
        /// Connections that send nothing for this long are closed.
        public var idleTimeout: TimeAmount = .seconds(60)

        public init() {}

        var decoderLimits: NIOHTTPDecoderLimitConfiguration {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderListSize = maxHeaderBytes
            limits.maxHeaderFieldSize = maxHeaderBytes
            return limits
        }
    }

    /// The address it binds (port 0 until `localPort` tells).
    public let address: ListenAddress
    private let endpoints: OpsEndpoints
    private let limits: Limits
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let listener = Mutex<(any Channel)?>(nil)
    private let logger: Logger

    public init(
        address: ListenAddress, endpoints: OpsEndpoints, limits: Limits = Limits(), logger: Logger = Logger(label: "ops-http")
    ) {
        self.address = address
        self.endpoints = endpoints
        self.limits = limits
        self.logger = logger
    }

    /// Binds the port; returns once it accepts connections.
    public func start() async throws {
        let endpoints = self.endpoints
        let limits = self.limits
        let decoderLimits = limits.decoderLimits
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: limits.idleTimeout))
                    try pipeline.configureHTTPServerPipeline(
                        withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                        withDecoderLimitConfiguration: decoderLimits)
                    try pipeline.addHandler(OpsHTTPHandler(endpoints: endpoints))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        listener.withLock { $0 = channel }
        logger.debug("ops HTTP server listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
    }

    /// The bound port (useful when configured with port 0).
    public var localPort: Int? { listener.withLock { $0?.localAddress?.port } }

    /// Closes the port and every connection.
    public func stop() async {
        let channel = listener.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }
}

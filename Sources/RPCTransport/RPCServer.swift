import Logging
import NIOCore
import NIOPosix
import RPCCore
import Synchronization

/// A gRPC server over HTTP/2 (libnghttp2) on SwiftNIO, one event loop per core.
///
/// Start it, read `localPort`, and call `shutdownGracefully` on SIGTERM: it stops accepting,
/// sends GOAWAY on every connection, lets in-flight calls finish within the grace period, then
/// closes what is left.
public final class RPCServer: Sendable {
    public let configuration: ServerConfiguration
    private let methods: [String: MethodHandler]
    private let logger: Logger
    private let refusedCall: RefusedCallObserver?
    private let group: MultiThreadedEventLoopGroup
    /// Whether the server made `group` and so stops it on shutdown.
    private let ownsGroup: Bool
    private let state = Mutex<State>(State())

    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    /// Sees each call the server answers without running a handler (unknown method, bad
    /// headers, a message over the limit, a deadline that passed first): the method path (nil
    /// when no such method is registered) and the status sent. Runs on an event loop.
    public typealias RefusedCallObserver = @Sendable (_ method: String?, _ code: StatusCode) -> Void

    /// Registers every method of `services`; a path registered twice is a programming error.
    ///
    /// With `group`, connections are served on those event loops (`configuration.threads` is
    /// not used) and the caller stops them; a proxy passes the loops its upstream clients use,
    /// so a forwarded call never changes threads.
    public init(
        configuration: ServerConfiguration, services: [any RPCService], logger: Logger = Logger(label: "rpc.server"),
        refusedCall: RefusedCallObserver? = nil, group: MultiThreadedEventLoopGroup? = nil
    ) {
        self.configuration = configuration
        var methods: [String: MethodHandler] = [:]
        for method in services.flatMap(\.methods) {
            precondition(methods[method.path] == nil, "method \(method.path) is registered twice")
            methods[method.path] = method
        }
        self.methods = methods
        self.logger = logger
        self.refusedCall = refusedCall
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        ownsGroup = group == nil
    }

    /// Binds the listening socket; returns once the server accepts connections.
    public func start() async throws {
        let methods = self.methods
        let configuration = self.configuration
        let logger = self.logger
        let refusedCall = self.refusedCall
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                guard let self, self.register(channel) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls = configuration.tls { try tls.addHandlers(to: channel, logger: logger) }
                    try channel.pipeline.syncOperations.addHandler(
                        ServerConnectionHandler(
                            methods: methods, configuration: configuration, logger: logger, refusedCall: refusedCall))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        state.withLock { $0.listener = channel }
        logger.info(
            "gRPC server listening",
            metadata: [
                "address": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                "tls": "\(configuration.tls.map { $0.requiresClientCertificate ? "mutual" : "on" } ?? "off")",
            ])
    }

    /// The bound port (useful when configured with port 0).
    public var localPort: Int? {
        state.withLock { $0.listener?.localAddress?.port }
    }

    /// Connections currently open.
    public var connectionCount: Int {
        state.withLock { $0.connections.count }
    }

    private func register(_ channel: any Channel) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.shuttingDown else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
        if accepted {
            channel.closeFuture.whenComplete { [weak self] _ in
                self?.state.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return accepted
    }

    /// Stops accepting, drains every connection with GOAWAY, waits up to `grace` for in-flight
    /// calls, closes whatever remains, and stops the event loops.
    public func shutdownGracefully(grace: Duration = .seconds(10)) async {
        let (listener, connections) = state.withLock { state in
            state.shuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        try? await listener?.close()
        for connection in connections {
            connection.pipeline.fireUserInboundEventTriggered(GracefulShutdownEvent())
        }
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, connectionCount > 0 {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let remaining = state.withLock { Array($0.connections.values) }
        if !remaining.isEmpty {
            logger.warning(
                "grace period over; closing connections with calls in flight", metadata: ["connections": "\(remaining.count)"])
        }
        for connection in remaining { try? await connection.close() }
        if ownsGroup { try? await group.shutdownGracefully() }
    }
}

import NIOCore
import NIOPosix
import RPCCore
import Synchronization

/// Whether a client can send calls now, as gRPC defines connectivity states.
public enum ConnectivityState: Sendable, Hashable {
    case idle
    case connecting
    case ready
    /// The last attempt failed; the next one starts after a backoff delay.
    case transientFailure
    case shutdown
}

/// An established connection and its handler.
struct Connection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<ClientConnectionHandler>
}

/// One HTTP/2 connection of an `RPCClient`: connects on demand, reconnects with jittered
/// exponential backoff, and reports its state.
final class ConnectionSlot: Sendable {
    private enum State {
        case idle
        case connecting(EventLoopFuture<Connection>)
        case ready(Connection)
        case backingOff(reason: String)
        case shutdown
    }

    private let host: String
    private let port: Int
    private let configuration: ClientConfiguration
    /// Every attempt of this slot connects on this loop.
    let loop: any EventLoop
    private let state = Mutex<(current: State, failedAttempts: Int, established: Int)>((.idle, 0, 0))

    init(host: String, port: Int, configuration: ClientConfiguration, loop: any EventLoop) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.loop = loop
    }

    var connectivity: ConnectivityState {
        state.withLock { state in
            switch state.current {
            case .idle: .idle
            case .connecting: .connecting
            case .ready: .ready
            case .backingOff: .transientFailure
            case .shutdown: .shutdown
            }
        }
    }

    /// The connection when one is ready: the common case, answered without a future.
    var readyConnection: Connection? {
        state.withLock { state in
            if case .ready(let connection) = state.current { return connection }
            return nil
        }
    }

    /// Connections this slot has established so far; a change means the endpoint was reached anew.
    var established: Int { state.withLock { $0.established } }

    /// Ends a backoff and connects now: when the backoff delay is over, or for a caller that has
    /// reason to think the endpoint is back (a health probe, a call with nowhere else to go).
    func connectNow() {
        let attempt: EventLoopPromise<Connection>? = state.withLock { state in
            guard case .backingOff = state.current else { return nil }
            return beginAttempt(&state.current)
        }
        if let attempt { connect(completing: attempt) }
    }

    /// Starts connecting when nothing has been tried yet, so later calls can use this slot too.
    func connectIfIdle() {
        let attempt: EventLoopPromise<Connection>? = state.withLock { state in
            guard case .idle = state.current else { return nil }
            return beginAttempt(&state.current)
        }
        if let attempt { connect(completing: attempt) }
    }

    /// A usable connection, the attempt in progress, or UNAVAILABLE while backing off.
    func connection() -> EventLoopFuture<Connection> {
        var attempt: EventLoopPromise<Connection>?
        let result: Result<EventLoopFuture<Connection>, RPCError> = state.withLock { state in
            switch state.current {
            case .ready(let connection):
                return .success(connection.channel.eventLoop.makeSucceededFuture(connection))
            case .connecting(let future):
                return .success(future)
            case .idle:
                attempt = beginAttempt(&state.current)
                return .success(attempt!.futureResult)
            case .backingOff(let reason):
                return .failure(RPCError(.unavailable, reason, unprocessed: true))
            case .shutdown:
                return .failure(RPCError(.unavailable, "the client for \(host):\(port) is shut down", unprocessed: true))
            }
        }
        if let attempt { connect(completing: attempt) }
        switch result {
        case .success(let future): return future
        case .failure(let error): return loop.makeFailedFuture(error)
        }
    }

    /// Closes the connection and stops reconnecting.
    func shutdown() async {
        let channel: (any Channel)? = state.withLock { state in
            defer { state.current = .shutdown }
            if case .ready(let connection) = state.current { return connection.channel }
            return nil
        }
        try? await channel?.close()
    }

    /// Marks an attempt as started; the caller runs `connect` after releasing the lock, so a
    /// synchronously failing connect cannot re-enter it.
    private func beginAttempt(_ current: inout State) -> EventLoopPromise<Connection> {
        let promise = loop.makePromise(of: Connection.self)
        current = .connecting(promise.futureResult)
        return promise
    }

    private func connect(completing promise: EventLoopPromise<Connection>) {
        promise.futureResult.whenComplete { [weak self] result in self?.connectAttemptEnded(result) }
        startConnecting().cascade(to: promise)
    }

    private func startConnecting() -> EventLoopFuture<Connection> {
        let authority = "\(host):\(port)"
        let maxMessageLength = configuration.maxReceiveMessageLength
        let timeout = configuration.connectTimeout
        let tls = configuration.tls
        let host = self.host
        let future = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try tls?.addHandlers(to: channel.pipeline.syncOperations, host: host, timeout: timeout)
                    try channel.pipeline.syncOperations.addHandler(
                        ClientConnectionHandler(
                            authority: authority, scheme: tls == nil ? "http" : "https", maxMessageLength: maxMessageLength))
                }
            }
            .connect(host: host, port: port)
            .flatMap { channel in
                // Over TLS the connection is usable once the server has spoken through it; a
                // refused handshake then backs off like a refused connect.
                tls == nil ? channel.eventLoop.makeSucceededFuture(channel) : Self.established(channel)
            }
            .flatMap { channel in
                channel.pipeline.handler(type: ClientConnectionHandler.self).map { handler in
                    let connection = Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    handler.onUnusable = { [weak self] in self?.connectionLost(connection.channel) }
                    return connection
                }
            }
        return future
    }

    /// `channel` once its TLS handshake watcher reports it established; closed if it never is.
    private static func established(_ channel: any Channel) -> EventLoopFuture<any Channel> {
        channel.pipeline.handler(type: TLSHandshakeHandler.self)
            .flatMap { $0.established }
            .flatMapError { error in
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(error)
            }
            .map { channel }
    }

    private func connectAttemptEnded(_ result: Result<Connection, any Error>) {
        var retryAfter: Duration?
        var lateChannel: (any Channel)?
        state.withLock { state in
            guard case .connecting = state.current else {
                // Shut down while connecting: do not keep the new connection.
                if case .success(let connection) = result { lateChannel = connection.channel }
                return
            }
            switch result {
            case .success(let connection):
                state.current = .ready(connection)
                state.failedAttempts = 0
                state.established += 1
            case .failure(let error):
                let delay = configuration.backoff.delay(attempt: state.failedAttempts)
                state.failedAttempts += 1
                state.current = .backingOff(reason: "cannot connect to \(host):\(port): \(error)")
                retryAfter = delay
            }
        }
        lateChannel?.close(promise: nil)
        if let retryAfter {
            loop.scheduleTask(in: TimeAmount(retryAfter)) { [weak self] in
                self?.connectNow()
            }
        }
    }

    /// The connection went away or received GOAWAY: replace it at once, so the endpoint stays
    /// ready while calls already on the old connection finish there.
    private func connectionLost(_ channel: any Channel) {
        let attempt: EventLoopPromise<Connection>? = state.withLock { state in
            guard case .ready(let connection) = state.current, connection.channel === channel else { return nil }
            return beginAttempt(&state.current)
        }
        if let attempt { connect(completing: attempt) }
    }
}

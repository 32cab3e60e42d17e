import NIOCore
import NIOPosix
import RPCCore
import Synchronization

/// A unary call's reply with the metadata that came with it.
public struct ClientResponse<Message: WireMessage>: Sendable {
    public var message: Message
    public var headers: Metadata
    public var trailers: Metadata
}

/// A gRPC client for one endpoint (`host:port`) over multiplexed HTTP/2 connections.
///
/// Calls are spread over `configuration.connections` connections, each on its own event loop of
/// `group`; a call made on one of those loops uses that loop's connection when it is ready, so
/// a proxy whose server shares the loops forwards without a thread hop. Each connection
/// reconnects on its own with jittered exponential backoff. A call fails fast with UNAVAILABLE while no connection can
/// be made, and honours its deadline (sent as `grpc-timeout`) and task cancellation (RST_STREAM).
public final class RPCClient: Sendable {
    public let host: String
    public let port: Int
    public let configuration: ClientConfiguration
    private let slots: [ConnectionSlot]
    private let nextSlot = Atomic<Int>(0)

    public init(
        host: String, port: Int, configuration: ClientConfiguration = ClientConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.slots = (0..<max(1, configuration.connections)).map { _ in
            ConnectionSlot(host: host, port: port, configuration: configuration, loop: group.next())
        }
    }

    /// The best state among the client's connections (ready if any is ready).
    public var state: ConnectivityState {
        let states = slots.map(\.connectivity)
        for candidate in [ConnectivityState.ready, .connecting, .transientFailure, .idle] where states.contains(candidate) {
            return candidate
        }
        return .shutdown
    }

    /// Connections established so far over the client's life; when it grows, the endpoint was
    /// reached on a new connection (after a restart, say).
    public var connectionsEstablished: Int { slots.reduce(0) { $0 + $1.established } }

    /// Ends any backoff and connects now (a connection that is up or being made is kept).
    public func connectNow() {
        for slot in slots { slot.connectNow() }
    }

    /// Starts connecting now rather than on the first call.
    public func connect() {
        for slot in slots { _ = slot.connection() }
    }

    /// Closes every connection; later calls fail with UNAVAILABLE.
    public func close() async {
        for slot in slots { await slot.shutdown() }
    }

    /// Calls a unary method.
    public func unary<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, metadata: Metadata = [:], timeout: Duration? = nil,
        as: Response.Type = Response.self
    ) async throws(RPCError) -> ClientResponse<Response> {
        let raw = try await unaryRaw(path, request.wireBytes(), metadata: metadata, timeout: timeout)
        guard raw.messages.count == 1 else {
            throw RPCError(.internal, "\(path) on \(host):\(port) sent \(raw.messages.count) replies to a unary call")
        }
        let message = try Response(wireBytes: raw.messages[0])
        return ClientResponse(message: message, headers: raw.headers, trailers: raw.trailers)
    }

    /// Calls a unary method with an already serialized request.
    public func unaryRaw(
        _ path: String, _ request: [UInt8], metadata: Metadata = [:], timeout: Duration? = nil
    ) async throws(RPCError) -> RawResponse {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let connection = try await connection(before: deadline, path: path)
        let loop = connection.channel.eventLoop
        let promise = loop.makePromise(of: RawResponse.self)
        let call = ClientCall(
            path: path, metadata: metadata, request: request, timeout: deadline.map { $0 - .now },
            maxMessageLength: configuration.maxReceiveMessageLength, consumer: .collect(promise))
        let handler = connection.handler
        do {
            return try await withTaskCancellationHandler {
                if loop.inEventLoop {
                    handler.value.start(call)
                } else {
                    loop.execute { handler.value.start(call) }
                }
                return try await promise.futureResult.get()
            } onCancel: {
                loop.execute { handler.value.cancel(call, with: RPCError(.cancelled, "the caller cancelled \(path)")) }
            }
        } catch {
            throw RPCError(from: error)
        }
    }

    /// Calls a server-streaming method; the stream ends with the call and throws its error status.
    public func serverStreaming<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, metadata: Metadata = [:], timeout: Duration? = nil,
        as: Response.Type = Response.self
    ) -> AsyncThrowingStream<Response, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Response, any Error>.makeStream()
        let bytes = request.wireBytes()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let starter = Task {
            let connection: Connection
            do {
                connection = try await self.connection(before: deadline, path: path)
            } catch {
                continuation.finish(throwing: error)
                return
            }
            let loop = connection.channel.eventLoop
            let handler = connection.handler
            let call = ClientCall(
                path: path, metadata: metadata, request: bytes, timeout: deadline.map { $0 - .now },
                maxMessageLength: self.configuration.maxReceiveMessageLength,
                consumer: .stream(yield: { result in
                    switch result {
                    case .success(let bytes):
                        do {
                            continuation.yield(try Response(wireBytes: bytes))
                        } catch {
                            continuation.finish(throwing: error)
                        }
                    case .failure(let error):
                        continuation.finish(throwing: error)
                    case nil:
                        continuation.finish()
                    }
                }))
            continuation.onTermination = { termination in
                if case .cancelled = termination {
                    loop.execute { handler.value.cancel(call, with: RPCError(.cancelled, "the caller cancelled \(path)")) }
                }
            }
            loop.execute { handler.value.start(call) }
        }
        _ = starter
        return stream
    }

    /// Opens a bidirectional-streaming call once a connection is ready (waiting no longer than
    /// `timeout`, which also bounds the whole call when given). Requests go out with `send`; the
    /// replies and the final status come on `responses`.
    public func bidirectionalStream(
        _ path: String, metadata: Metadata = [:], timeout: Duration? = nil
    ) async throws(RPCError) -> BidirectionalCall {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let connection = try await connection(before: deadline, path: path)
        let loop = connection.channel.eventLoop
        let handler = connection.handler
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let call = ClientCall(
            path: path, metadata: metadata, request: [], endsRequest: false, timeout: deadline.map { $0 - .now },
            maxMessageLength: configuration.maxReceiveMessageLength,
            consumer: .stream(yield: { result in
                switch result {
                case .success(let bytes): continuation.yield(bytes)
                case .failure(let error): continuation.finish(throwing: error)
                case nil: continuation.finish()
                }
            }))
        continuation.onTermination = { termination in
            if case .cancelled = termination {
                loop.execute { handler.value.cancel(call, with: RPCError(.cancelled, "the caller cancelled \(path)")) }
            }
        }
        if loop.inEventLoop {
            handler.value.start(call)
        } else {
            loop.execute { handler.value.start(call) }
        }
        return BidirectionalCall(responses: stream, loop: loop, handler: handler, call: call)
    }

    /// Picks a connection, waiting for one being established but not past the deadline.
    private func connection(before deadline: ContinuousClock.Instant?, path: String) async throws(RPCError) -> Connection {
        // Prefer a ready connection, round-robin, returned at once: no future, no suspension and
        // no deadline timer on the common path. A slot passed over because it never connected
        // starts connecting, so calls spread over every configured connection.
        if slots.count > 1, let local = slots.first(where: { $0.loop.inEventLoop }), let ready = local.readyConnection {
            return ready
        }
        let start = nextSlot.add(1, ordering: .relaxed).oldValue
        let first = slots[start % slots.count]
        for offset in 0..<slots.count {
            if let ready = slots[(start + offset) % slots.count].readyConnection {
                if offset > 0 { first.connectIfIdle() }
                return ready
            }
        }
        let future = first.connection()
        do {
            guard let deadline else { return try await future.get() }
            return try await withThrowingTaskGroup(of: Connection?.self) { group in
                group.addTask { try await future.get() }
                group.addTask {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    return nil
                }
                defer { group.cancelAll() }
                guard let connection = try await group.next()! else {
                    throw RPCError(.deadlineExceeded, "deadline exceeded while connecting to \(host):\(port) for \(path)")
                }
                return connection
            }
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(.unavailable, "cannot connect to \(host):\(port): \(error)", unprocessed: true)
        }
    }
}

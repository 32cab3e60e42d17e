import RPCCore

/// `rpctest.Echo`: echoes payloads back, once (Get) or `count` times (Expand), after
/// `delay_ms`, so tests can exercise deadlines, cancellation and flow control.
public struct EchoService: RPCService {
    /// Called with the method path when a handler stops because its call was cancelled (by the
    /// client, a deadline or the connection), so tests can see the work really stopped.
    public let onCancelled: (@Sendable (_ method: String) -> Void)?

    public init(onCancelled: (@Sendable (_ method: String) -> Void)? = nil) {
        self.onCancelled = onCancelled
    }

    public var methods: [MethodHandler] {
        let onCancelled = onCancelled
        return [
            .unary(EchoMethods.get) { (request: EchoRequest, _) -> EchoResponse in
                try await Self.observingCancellation(EchoMethods.get, onCancelled) {
                    try await Self.wait(milliseconds: request.delayMilliseconds)
                    return EchoResponse(payload: request.payload, index: 0)
                }
            },
            .serverStreaming(EchoMethods.expand) {
                (request: EchoRequest, _, stream: ResponseStream<EchoResponse>) in
                try await Self.observingCancellation(EchoMethods.expand, onCancelled) {
                    for index in 0..<request.count {
                        try await Self.wait(milliseconds: request.delayMilliseconds)
                        try await stream.write(EchoResponse(payload: request.payload, index: index))
                    }
                }
            },
        ]
    }

    /// Sleeps with `Task.sleep`, which a cancelled call interrupts at once.
    private static func wait(milliseconds: UInt32) async throws {
        guard milliseconds > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int64(milliseconds)))
    }

    /// Runs `body` and reports to `observer` when it ended because the task was cancelled
    /// (a write to an ended call throws a transport error, so the task's flag decides).
    private static func observingCancellation<Result>(
        _ method: String, _ observer: (@Sendable (String) -> Void)?, _ body: () async throws -> Result
    ) async throws -> Result {
        do {
            return try await body()
        } catch {
            if error is CancellationError || Task.isCancelled { observer?(method) }
            throw error
        }
    }
}

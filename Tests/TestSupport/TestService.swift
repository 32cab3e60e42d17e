import RPCCore
import Synchronization

/// A bytes-level service whose handlers tests steer: echo, sleep, stream, and a record of
/// cancelled handlers.
public final class TestService: RPCService {
    public static let echo = "/test.Test/Echo"
    public static let sleep = "/test.Test/Sleep"
    public static let stream = "/test.Test/Stream"
    public static let fail = "/test.Test/Fail"
    public static let metadata = "/test.Test/Metadata"
    public static let peer = "/test.Test/Peer"

    private let cancelledCount = Atomic<Int>(0)
    private let startedCount = Atomic<Int>(0)

    public init() {}

    /// Handlers that observed their cancellation.
    public var cancelled: Int { cancelledCount.load(ordering: .relaxed) }
    /// Handlers that started.
    public var started: Int { startedCount.load(ordering: .relaxed) }

    public var methods: [MethodHandler] {
        [
            .unary(Self.echo) { (request: RawBytes, _) in request },
            // Sleeps for the number of milliseconds in the request's first two bytes (big-endian).
            .unary(Self.sleep) { [self] (request: RawBytes, _) in
                startedCount.add(1, ordering: .relaxed)
                let millis = request.bytes.count >= 2 ? Int(request.bytes[0]) << 8 | Int(request.bytes[1]) : 0
                do {
                    try await Task.sleep(for: .milliseconds(millis))
                } catch {
                    cancelledCount.add(1, ordering: .relaxed)
                    throw error
                }
                return request
            },
            // Streams the request back N times, N being its first byte.
            .serverStreaming(Self.stream) { (request: RawBytes, _, stream: ResponseStream<RawBytes>) in
                let count = Int(request.bytes.first ?? 0)
                for index in 0..<count {
                    var reply = request
                    reply.bytes[0] = UInt8(truncatingIfNeeded: index)
                    try await stream.write(reply)
                }
            },
            // Fails with the status code in the first byte and the rest as the message.
            .unary(Self.fail) { (request: RawBytes, _) -> RawBytes in
                let code = StatusCode(rawValue: Int(request.bytes.first ?? 2)) ?? .unknown
                throw RPCError(
                    code, String(decoding: request.bytes.dropFirst(), as: UTF8.self), metadata: ["x-detail": "failing on purpose"]
                )
            },
            // Returns the caller's address as the server sees it (which connection a call used).
            .unary(Self.peer) { (_: RawBytes, context) in RawBytes(Array(context.peer.utf8)) },
            // Returns the value of the `x-echo` request header and echoes it in headers and trailers.
            .unary(Self.metadata) { (_: RawBytes, context) in
                let value = context.metadata["x-echo"] ?? ""
                context.response.addHeader("x-echo-header", value)
                context.response.addTrailer("x-echo-trailer", value)
                return RawBytes(Array(value.utf8))
            },
        ]
    }
}

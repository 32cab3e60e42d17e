import FuzzSupport
import RPCCore

/// Fuzzes gRPC message framing: the same DATA bytes fed whole and in small chunks must give the
/// same messages (or the same error), whatever the prefixes say. The bytes are also read as the
/// `grpc-timeout` and `grpc-message` header values the transport parses.
///
/// Input: byte 0 picks the chunk size, byte 1 the message limit; the rest is the stream.
@main
enum FuzzGRPCFraming {
    static func main() {
        FuzzDriver.run { input in
            guard input.count >= 2 else { return false }
            let chunkSize = Int(input[0] % 16) + 1
            // Small limits so RESOURCE_EXHAUSTED is reachable; 255 stands for the real 4 MiB.
            let limit = input[1] == 255 ? 4 << 20 : Int(input[1]) * 16
            let stream = Array(input[2...])

            let whole = deframe(stream, limit: limit, chunkSize: stream.count)
            let chunked = deframe(stream, limit: limit, chunkSize: chunkSize)
            var accepted = false
            switch (whole, chunked) {
            case (.success(let a), .success(let b)):
                precondition(a == b, "chunking changed the messages")
                accepted = !a.messages.isEmpty
            case (.failure(let a), .failure(let b)):
                precondition(a.code == b.code, "chunking changed the error: \(a) vs \(b)")
            default:
                preconditionFailure("chunking changed the outcome: \(whole) vs \(chunked)")
            }

            let text = String(decoding: stream, as: UTF8.self)
            if let nanos = GRPCTimeout.parse(text) {
                precondition(nanos >= 0, "negative timeout from \(text)")
                _ = GRPCTimeout.encode(nanoseconds: nanos)
                accepted = true
            }
            let decoded = PercentEncoding.decode(text)
            precondition(PercentEncoding.decode(PercentEncoding.encode(decoded)) == decoded, "percent round trip")
            return accepted || decoded != text
        }
    }

    /// The messages and whether a partial one is left, or the first error.
    static func deframe(_ stream: [UInt8], limit: Int, chunkSize: Int) -> Result<Deframed, RPCError> {
        var deframer = MessageDeframer(maxMessageLength: limit)
        var messages: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(start + max(chunkSize, 1), stream.count)
            do {
                messages += try deframer.append(Array(stream[start..<end]))
            } catch {
                // Once failed, the deframer must keep failing the same way.
                do {
                    _ = try deframer.append([0])
                    preconditionFailure("a failed deframer accepted more bytes")
                } catch let again {
                    precondition(again.code == error.code, "a failed deframer changed its error")
                }
                return .failure(error)
            }
            start = end
        } while start < stream.count
        for message in messages { precondition(message.count <= limit, "a message over the limit was returned") }
        return .success(Deframed(messages: messages, partial: deframer.hasPartialMessage))
    }

    struct Deframed: Equatable {
        var messages: [[UInt8]]
        var partial: Bool
    }
}

/// W3C trace context (`traceparent`): the gateway forwards the caller's header and starts a
/// trace when there is none, so every hop logs the same trace id.
///
/// Runs on every call, so it works on UTF-8 bytes: no splitting, no Character checks.
public enum TraceContext {
    /// A new `traceparent` (version 00, random trace and span ids, sampled).
    public static func newTraceparent<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        let (high, low, span) = (generator.next(), generator.next() | 1, generator.next() | 1)
        // "00-" + 32 + "-" + 16 + "-01"
        return String(unsafeUninitializedCapacity: 55) { buffer in
            var index = 0
            for byte in "00-".utf8 { buffer[index] = byte; index += 1 }
            for word in [high, low] { writeHex(word, into: buffer, at: &index) }
            buffer[index] = UInt8(ascii: "-"); index += 1
            writeHex(span, into: buffer, at: &index)
            for byte in "-01".utf8 { buffer[index] = byte; index += 1 }
            return index
        }
    }

    /// A new random trace id (32 hex digits), for a call that arrived without one.
    public static func newTraceID() -> String {
        var generator = FastRandomNumberGenerator()
        let (high, low) = (generator.next(), generator.next() | 1)
        return String(unsafeUninitializedCapacity: 32) { buffer in
            var index = 0
            writeHex(high, into: buffer, at: &index)
            writeHex(low, into: buffer, at: &index)
            return index
        }
    }

    /// The trace id of a well-formed `traceparent` (`vv-<32 hex>-<16 hex>-ff...`), nil otherwise.
    public static func traceID(of traceparent: String) -> String? {
        var text = traceparent
        return text.withUTF8 { bytes -> String? in
            guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"),
                bytes[52] == UInt8(ascii: "-"), bytes.count == 55 || bytes[55] == UInt8(ascii: "-")
            else { return nil }
            let id = UnsafeBufferPointer(rebasing: bytes[3..<35])
            guard id.allSatisfy(isLowerHex), bytes[36..<52].allSatisfy(isLowerHex),
                id.contains(where: { $0 != UInt8(ascii: "0") })
            else { return nil }
            return String(decoding: id, as: UTF8.self)
        }
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func writeHex(_ word: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        let digits: StaticString = "0123456789abcdef"
        for shift in stride(from: 60, through: 0, by: -4) {
            buffer[index] = digits.utf8Start[Int((word >> UInt64(shift)) & 0xf)]
            index += 1
        }
    }
}

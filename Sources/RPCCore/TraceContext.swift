/// W3C trace context (`traceparent`): the gateway forwards the caller's header and starts a
/// trace when there is none, so every hop logs the same trace id.
public enum TraceContext {
    /// A new `traceparent` (version 00, random trace and span ids, sampled).
    public static func newTraceparent<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        let trace = hex(generator.next(), generator.next() | 1)
        let span = hex(generator.next() | 1)
        return "00-\(trace)-\(span)-01"
    }

    /// A new random trace id (32 hex digits), for a call that arrived without one.
    public static func newTraceID() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex(generator.next(), generator.next() | 1)
    }

    /// The trace id of a well-formed `traceparent`, nil otherwise.
    public static func traceID(of traceparent: String) -> String? {
        let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[1].count == 32, parts[2].count == 16,
              parts[1].allSatisfy(\.isHexDigit), parts[1] != String(repeating: "0", count: 32)
        else { return nil }
        return String(parts[1])
    }

    private static func hex(_ words: UInt64...) -> String {
        words.map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }
}

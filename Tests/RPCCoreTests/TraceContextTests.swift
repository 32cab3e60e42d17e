import RPCCore
import Testing

@Suite("Trace context and per-call randomness")
struct TraceContextTests {
    @Test func newTraceparentsAreWellFormedAndDistinct() {
        var generator = FastRandomNumberGenerator()
        var seen = Set<String>()
        for _ in 0..<1000 {
            let header = TraceContext.newTraceparent(using: &generator)
            #expect(header.utf8.count == 55 && header.hasPrefix("00-") && header.hasSuffix("-01"), "\(header)")
            let id = TraceContext.traceID(of: header)
            #expect(id?.count == 32 && header.dropFirst(3).hasPrefix(id ?? "?"))
            seen.insert(header)
        }
        #expect(seen.count == 1000)
        let id = TraceContext.newTraceID()
        #expect(id.count == 32 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) })
    }

    @Test func traceIDsComeOnlyFromValidHeaders() {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(TraceContext.traceID(of: valid) == "4bf92f3577b34da6a3ce929d0e0e4736")
        // A later version may append fields after a dash.
        #expect(TraceContext.traceID(of: valid + "-what-the-future-holds") == "4bf92f3577b34da6a3ce929d0e0e4736")
        for bad in [
            "", "garbage", valid + "x", String(valid.dropLast()),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // all-zero trace id
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // not hex
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0é",
        ] {
            #expect(TraceContext.traceID(of: bad) == nil, "\(bad)")
        }
    }

    @Test func fastRandomValuesSpreadEvenly() {
        var generator = FastRandomNumberGenerator()
        var buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { buckets[Int.random(in: 0..<10, using: &generator)] += 1 }
        // 10,000 expected per bucket; 5 standard deviations is about 475.
        #expect(buckets.allSatisfy { abs($0 - 10_000) < 500 }, "\(buckets)")
    }
}

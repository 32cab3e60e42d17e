import RPCCore
import Testing

@Suite("Call annotations")
struct CallAnnotationsTests {
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func aNotedTraceparentYieldsItsTraceID() {
        let annotations = CallAnnotations()
        annotations.note(model: "iris", requestID: "r1")
        annotations.note(traceparent: Self.traceparent)
        #expect(
            annotations.values
                == CallAnnotations.Values(
                    model: "iris", requestID: "r1", traceID: "4bf92f3577b34da6a3ce929d0e0e4736"))
    }

    @Test func anExplicitTraceIDWinsAndAMalformedTraceparentGivesNone() {
        let explicit = CallAnnotations()
        explicit.note(traceparent: Self.traceparent)
        explicit.note(traceID: "0af7651916cd43dd8448eb211c80319c")
        #expect(explicit.values.traceID == "0af7651916cd43dd8448eb211c80319c")

        let malformed = CallAnnotations()
        malformed.note(traceparent: "00-not-a-trace")
        malformed.note(traceparent: nil)
        #expect(malformed.values.traceID == nil)
    }
}

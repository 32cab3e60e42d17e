import RPCCore
import Testing

@Suite("StatusCode")
struct StatusCodeTests {
    @Test func everyKnownWireValue() {
        #expect(StatusCode.allCases.count == 17)
        for code in StatusCode.allCases {
            #expect(StatusCode(wireValue: String(code.rawValue)) == code)
        }
        #expect(StatusCode(wireValue: "0") == .ok)
        #expect(StatusCode(wireValue: "4") == .deadlineExceeded)
        #expect(StatusCode(wireValue: "12") == .unimplemented)
        #expect(StatusCode(wireValue: "16") == .unauthenticated)
    }

    @Test(arguments: ["17", "100", "-1", "99999999999999999999", "", "OK", "abc", "1.0", " 1", "0x1"])
    func unknownWireValues(value: String) {
        #expect(StatusCode(wireValue: value) == .unknown)
    }

    @Test func descriptionsAreCanonicalNames() {
        let expected: [StatusCode: String] = [
            .ok: "OK", .cancelled: "CANCELLED", .unknown: "UNKNOWN", .invalidArgument: "INVALID_ARGUMENT",
            .deadlineExceeded: "DEADLINE_EXCEEDED", .notFound: "NOT_FOUND", .alreadyExists: "ALREADY_EXISTS",
            .permissionDenied: "PERMISSION_DENIED", .resourceExhausted: "RESOURCE_EXHAUSTED",
            .failedPrecondition: "FAILED_PRECONDITION", .aborted: "ABORTED", .outOfRange: "OUT_OF_RANGE",
            .unimplemented: "UNIMPLEMENTED", .internal: "INTERNAL", .unavailable: "UNAVAILABLE",
            .dataLoss: "DATA_LOSS", .unauthenticated: "UNAUTHENTICATED",
        ]
        #expect(expected.count == StatusCode.allCases.count)
        for code in StatusCode.allCases {
            #expect(code.description == expected[code])
            #expect("\(code)" == expected[code])
        }
    }
}

import Testing

@testable import RPCTransport

@Suite("Recent header strings")
struct RecentHeaderStringsTests {
    private func make(_ text: String, in recent: inout RecentHeaderStrings) -> String {
        Array(text.utf8).withUnsafeBufferPointer { recent.string($0) }
    }

    private func storage(_ string: String) -> UnsafeRawPointer? {
        string.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    @Test func aRepeatedLongValueIsTheSameStringInstance() {
        var recent = RecentHeaderStrings()
        let path = "/inference.GRPCInferenceService/ModelInfer"
        let first = make(path, in: &recent)
        let second = make(path, in: &recent)
        #expect(first == path && second == path)
        #expect(storage(first) == storage(second))
        // Same length, different bytes: a different string.
        let other = make("/inference.GRPCInferenceService/ModelMeta", in: &recent)
        #expect(other == "/inference.GRPCInferenceService/ModelMeta")
    }

    @Test func shortValuesAndInvalidUTF8DecodeAsUsual() {
        var recent = RecentHeaderStrings()
        #expect(make("te", in: &recent) == "te")
        let invalid: [UInt8] = Array("a-long-header-value-".utf8) + [0xff, 0xfe]
        let decoded = invalid.withUnsafeBufferPointer { recent.string($0) }
        #expect(decoded == String(decoding: invalid, as: UTF8.self))
        #expect(invalid.withUnsafeBufferPointer { recent.string($0) } == decoded)
    }

    @Test func manyDistinctValuesAreAllReturnedCorrectly() {
        var recent = RecentHeaderStrings()
        for round in 0..<3 {
            for index in 0..<40 {
                let value = "x-metadata-value-number-\(index)"
                #expect(make(value, in: &recent) == value, "round \(round)")
            }
        }
    }
}

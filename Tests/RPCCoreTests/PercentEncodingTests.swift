import RPCCore
import Testing

@Suite("PercentEncoding")
struct PercentEncodingTests {
    @Test func printableASCIIIsUnchanged() {
        let printable = String(decoding: (0x20...0x7E).filter { $0 != UInt8(ascii: "%") }, as: UTF8.self)
        #expect(PercentEncoding.encode(printable) == printable)
        #expect(PercentEncoding.encode("") == "")
        #expect(PercentEncoding.encode("model 'resnet' not found: {x}") == "model 'resnet' not found: {x}")
    }

    @Test func percentSignIsEncoded() {
        #expect(PercentEncoding.encode("%") == "%25")
        #expect(PercentEncoding.encode("100%") == "100%25")
        #expect(PercentEncoding.encode("%25") == "%2525")
    }

    @Test func controlAndNonASCIIBytesAreEncodedAsUTF8() {
        #expect(PercentEncoding.encode("a\nb") == "a%0Ab")
        #expect(PercentEncoding.encode("\t\r\0") == "%09%0D%00")
        #expect(PercentEncoding.encode("\u{7F}") == "%7F")
        #expect(PercentEncoding.encode("é") == "%C3%A9")
        #expect(PercentEncoding.encode("✓") == "%E2%9C%93")
        #expect(PercentEncoding.encode("🙂") == "%F0%9F%99%82")
        #expect(PercentEncoding.encode("café ✓") == "caf%C3%A9 %E2%9C%93")
    }

    @Test(arguments: [
        "", "plain", "%", "%%", "%25", "%2", "50% off", "line1\nline2\r\n", "tab\there", "\0nul",
        "é", "naïve café", "✓ done", "🙂🙃 emoji", "👩‍👩‍👧 family", "日本語のメッセージ", "mixed % é\n✓ 🙂 %41",
    ])
    func decodeInvertsEncode(message: String) {
        #expect(PercentEncoding.decode(PercentEncoding.encode(message)) == message)
    }

    @Test func decodeInvertsEncodeForEveryScalarRange() {
        let long = String(repeating: "ü%\n", count: 500)
        #expect(PercentEncoding.decode(PercentEncoding.encode(long)) == long)
        // One scalar from each UTF-8 length and the edges of printable ASCII.
        let scalars = [0x00, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFD, 0x10000, 0x10FFFF]
        let all = String(String.UnicodeScalarView(scalars.compactMap { Unicode.Scalar(UInt32($0)) }))
        #expect(PercentEncoding.decode(PercentEncoding.encode(all)) == all)
    }

    @Test func decodeAcceptsBothHexCases() {
        #expect(PercentEncoding.decode("%c3%a9") == "é")
        #expect(PercentEncoding.decode("%C3%A9") == "é")
        #expect(PercentEncoding.decode("a%20b") == "a b")
    }

    @Test(arguments: [
        ("%zz", "%zz"),
        ("%", "%"),
        ("100%", "100%"),
        ("%4", "%4"),
        ("a%4", "a%4"),
        ("%4g", "%4g"),
        ("%g4", "%g4"),
        ("%%41", "%A"),  // the first % is kept, the second starts a valid escape
        ("ok %41 %zz", "ok A %zz"),
    ])
    func decodeKeepsMalformedEscapes(encoded: String, decoded: String) {
        #expect(PercentEncoding.decode(encoded) == decoded)
    }

    @Test func decodeOfInvalidUTF8DoesNotFail() {
        // A lone continuation byte is replaced, not fatal.
        #expect(PercentEncoding.decode("a%80b") == "a\u{FFFD}b")
    }
}

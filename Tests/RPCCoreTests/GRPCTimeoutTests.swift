import RPCCore
import Testing

@Suite("GRPCTimeout")
struct GRPCTimeoutTests {
    @Test(arguments: [
        ("1H", Int64(3_600_000_000_000)),
        ("2M", 120_000_000_000),
        ("3S", 3_000_000_000),
        ("4m", 4_000_000),
        ("5u", 5_000),
        ("6n", 6),
        ("0S", 0),
        ("00000007m", 7_000_000),
        ("99999999n", 99_999_999),
        ("12345678S", 12_345_678_000_000_000),
    ])
    func parsesEveryUnit(value: String, nanoseconds: Int64) {
        #expect(GRPCTimeout.parse(value) == nanoseconds)
    }

    @Test(arguments: [
        "",  // empty
        "S",  // no digits
        "100",  // no unit
        "123456789S",  // 9 digits
        "1s",  // units are case-sensitive: s is not S
        "1h",
        "1x",
        "1 S",  // a space is not a digit
        "1.5S",
        "+1S",
        "-1S",  // negative
        "1SS",
        "0x1S",
        "١S",  // a non-ASCII digit
    ])
    func rejectsMalformedValues(value: String) {
        #expect(GRPCTimeout.parse(value) == nil)
    }

    @Test func overflowSaturates() {
        #expect(GRPCTimeout.parse("99999999H") == Int64.max)
        // Eight digits of minutes (6e18 ns) still fit.
        #expect(GRPCTimeout.parse("99999999M") == 5_999_999_940_000_000_000)
        // 2562047 H is the largest whole number of hours below Int64.max nanoseconds.
        #expect(GRPCTimeout.parse("2562047H") == 9_223_369_200_000_000_000)
        #expect(GRPCTimeout.parse("2562048H") == Int64.max)
    }

    @Test(arguments: [
        Int64(1), 999, 1_000, 1_001, 99_999_999, 100_000_000, 100_000_001, 1_500_000_000,
        99_999_999_999, 100_000_000_001, 3_600_000_000_000, 86_400_000_000_000, 99_999_999_000_000_001,
        123_456_789_123_456_789, 1 << 62,
        // The largest value whose rounding up to hours cannot overflow.
        Int64.max - 3_600_000_000_000,
    ])
    func encodeRoundTripsToAtLeastTheInput(nanoseconds: Int64) throws {
        let encoded = GRPCTimeout.encode(nanoseconds: nanoseconds)
        #expect(encoded.utf8.count <= 9, "\(encoded)")
        #expect(encoded.dropLast().allSatisfy { $0.isASCII && $0.isNumber }, "\(encoded)")
        let decoded = try #require(GRPCTimeout.parse(encoded), "\(encoded) does not parse")
        #expect(decoded >= nanoseconds, "\(encoded) is shorter than \(nanoseconds) ns")
    }

    @Test func encodeUsesTheFinestUnitThatFits() {
        #expect(GRPCTimeout.encode(nanoseconds: 1) == "1n")
        #expect(GRPCTimeout.encode(nanoseconds: 99_999_999) == "99999999n")
        #expect(GRPCTimeout.encode(nanoseconds: 100_000_000) == "100000u")
        // Rounded up, never down.
        #expect(GRPCTimeout.encode(nanoseconds: 100_000_001) == "100001u")
        #expect(GRPCTimeout.encode(nanoseconds: 1_000_000_000_000) == "1000000m")
    }

    @Test(arguments: [Int64(0), -1, Int64.min])
    func nonPositiveDurationsEncodeAsOneNanosecond(nanoseconds: Int64) {
        #expect(GRPCTimeout.encode(nanoseconds: nanoseconds) == "1n")
    }

    /// `encode` rounds up with `nanos + size - 1`, which overflows (a trap) within an hour of
    /// `Int64.max`. `ClientConnectionHandler` passes exactly `Int64.max` when a call's timeout
    /// overflows nanoseconds, so a timeout of ~292 years or more crashes the client.
    @Test func encodeOfTheLargestValuesDoesNotTrap() async {
        do {
            await #expect(processExitsWith: .success) {
                _ = GRPCTimeout.encode(nanoseconds: .max)
            }
        }
    }
}

/// The `grpc-timeout` header: at most 8 ASCII digits and a unit (H, M, S, m, u, n).
public enum GRPCTimeout {
    /// Parses a header value into nanoseconds; nil when malformed.
    public static func parse(_ value: String) -> Int64? {
        let utf8 = Array(value.utf8)
        guard utf8.count >= 2, utf8.count <= 9 else { return nil }
        var amount: Int64 = 0
        for byte in utf8.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        let nanosPerUnit: Int64
        switch utf8.last! {
        case UInt8(ascii: "H"): nanosPerUnit = 3_600_000_000_000
        case UInt8(ascii: "M"): nanosPerUnit = 60_000_000_000
        case UInt8(ascii: "S"): nanosPerUnit = 1_000_000_000
        case UInt8(ascii: "m"): nanosPerUnit = 1_000_000
        case UInt8(ascii: "u"): nanosPerUnit = 1_000
        case UInt8(ascii: "n"): nanosPerUnit = 1
        default: return nil
        }
        let (product, overflow) = amount.multipliedReportingOverflow(by: nanosPerUnit)
        return overflow ? Int64.max : product
    }

    /// Encodes a positive duration in nanoseconds with the finest unit that fits in 8 digits.
    public static func encode(nanoseconds: Int64) -> String {
        let nanos = max(nanoseconds, 1)
        let units: [(Int64, Character)] = [
            (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"),
            (60_000_000_000, "M"), (3_600_000_000_000, "H"),
        ]
        for (size, unit) in units {
            // Round up so the peer never sees a shorter deadline than ours (without overflowing).
            let amount = nanos / size + (nanos % size == 0 ? 0 : 1)
            if amount <= 99_999_999 { return "\(amount)\(unit)" }
        }
        return "99999999H"
    }
}

import JSONEscaping

/// A JSON document written straight into bytes, for the answers on the hot path (inference):
/// no String concatenation, integers written digit by digit.
struct JSONBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends JSON text written in the source (punctuation, member names, literals).
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends bytes that are not JSON: the binary tensors after the header.
    mutating func raw(_ data: [UInt8]) {
        bytes.append(contentsOf: data)
    }

    /// Appends `value` as a quoted JSON string.
    mutating func string(_ value: String) {
        JSONString.append(value, to: &bytes)
    }

    mutating func integer<Integer: FixedWidthInteger>(_ value: Integer) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(value.magnitude)
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// A finite number with the shortest digits that read back as the same float; JSON has no
    /// NaN or infinity, so those are `null`.
    mutating func number(_ value: Float) {
        if value.isFinite { bytes.append(contentsOf: value.description.utf8) } else { append("null") }
    }

    mutating func number(_ value: Double) {
        if value.isFinite { bytes.append(contentsOf: value.description.utf8) } else { append("null") }
    }
}

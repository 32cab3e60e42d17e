import RPCCore

/// Just enough protobuf to route a ModelInfer without decoding its tensors: read the top-level
/// string fields and one string map entry, and rewrite fields while copying the others as bytes.
/// (ModelInferRequest and ModelInferResponse share field numbers 1 model_name, 2 model_version,
/// 3 id, 4 parameters.)
struct ProtobufFields {
    /// One top-level field: its number, and where its whole encoding (tag included) and its
    /// payload (for length-delimited fields) lie.
    struct Field {
        var number: Int
        var wireType: Int
        var whole: Range<Int>
        var payload: Range<Int>
    }

    let bytes: [UInt8]
    let fields: [Field]

    /// Splits `bytes` into top-level fields; INTERNAL naming `messageName` when it is not protobuf.
    init(_ bytes: [UInt8], messageName: String) throws(RPCError) {
        self.bytes = bytes
        var fields: [Field] = []
        // One allocation for a typical inference message (every field takes at least 2 bytes).
        fields.reserveCapacity(min(16, bytes.count / 2 + 1))
        var offset = 0
        // Built only when needed: this runs twice per forwarded call.
        var invalid: RPCError { RPCError(.internal, "could not decode \(messageName): invalid protobuf") }
        while offset < bytes.count {
            let start = offset
            guard let tag = Self.varint(bytes, &offset), tag >> 3 > 0 else { throw invalid }
            let wireType = Int(tag & 7)
            let payloadStart: Int
            switch wireType {
            case 0:
                payloadStart = offset
                guard Self.varint(bytes, &offset) != nil else { throw invalid }
            case 1, 5:
                payloadStart = offset
                offset += wireType == 1 ? 8 : 4
            case 2:
                guard let length = Self.varint(bytes, &offset), length <= UInt64(bytes.count - offset) else { throw invalid }
                payloadStart = offset
                offset += Int(length)
            default:
                throw invalid
            }
            guard offset <= bytes.count else { throw invalid }
            fields.append(Field(number: Int(tag >> 3), wireType: wireType, whole: start..<offset, payload: payloadStart..<offset))
        }
        self.fields = fields
    }

    /// The last value of a string field (protobuf's rule for repeated scalars), "" when absent.
    func string(_ number: Int) -> String {
        guard let field = fields.last(where: { $0.number == number && $0.wireType == 2 }) else { return "" }
        return String(decoding: bytes[field.payload], as: UTF8.self)
    }

    /// The string value of `key` in the `map<string, InferParameter>` field `number`, when it is
    /// a string parameter.
    func stringParameter(_ number: Int, key: String) -> String? {
        var found: String?
        for field in fields where field.number == number && field.wireType == 2 {
            guard let entry = try? ProtobufFields(Array(bytes[field.payload]), messageName: "map entry"),
                entry.string(1) == key,
                let value = entry.fields.last(where: { $0.number == 2 && $0.wireType == 2 }),
                let parameter = try? ProtobufFields(Array(entry.bytes[value.payload]), messageName: "InferParameter"),
                parameter.fields.contains(where: { $0.number == 3 && $0.wireType == 2 })
            else { continue }
            found = parameter.string(3)
        }
        return found
    }

    /// The message with string fields `replacements` set (written first, in the order given;
    /// empty strings are left out, as proto3 does) and every other field copied unchanged.
    func rewriting(_ replacements: [(number: Int, value: String)]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 64)
        for (number, value) in replacements where !value.isEmpty {
            Self.appendVarint(UInt64(number << 3 | 2), to: &output)
            Self.appendVarint(UInt64(value.utf8.count), to: &output)
            output.append(contentsOf: value.utf8)
        }
        for field in fields where !replacements.contains(where: { $0.number == field.number }) {
            output.append(contentsOf: bytes[field.whole])
        }
        return output
    }

    private static func varint(_ bytes: [UInt8], _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    private static func appendVarint(_ value: UInt64, to output: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            output.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
    }
}

import Foundation
import InferenceAPI
import JSONEscaping
import RPCCore

/// Tensor contents between the KServe V2 JSON form (`data`, flattened or nested, BYTES as
/// strings) and the raw little-endian bytes `InferTensor` carries.
enum TensorJSON {
    /// The raw contents of `data` for a tensor of `datatype` and `shape`; INVALID_ARGUMENT naming
    /// `tensor` when an element has the wrong type or range, or the count does not match.
    static func contents(
        of data: Any, datatype: TensorDataType, shape: [Int64], tensor: String
    ) throws(RPCError) -> [UInt8] {
        let expected = try TensorLayout.elementCount(shape: shape, tensor: tensor)
        var elements: [Any] = []
        elements.reserveCapacity(expected)
        try flatten(data, into: &elements, limit: expected, tensor: tensor)
        guard elements.count == expected else {
            throw RPCError(
                .invalidArgument, "\(tensor) has \(elements.count) elements in data; its shape \(shape) needs \(expected)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expected * (datatype.elementByteSize ?? 8))
        for (index, element) in elements.enumerated() {
            try append(element, as: datatype, to: &bytes, tensor: tensor, index: index)
        }
        return bytes
    }

    /// `data` as a flat JSON array of the tensor's elements; FP16 and BF16 go out as numbers.
    static func data(of tensor: InferTensor) throws(RPCError) -> String {
        var out = "["
        let label = "output '\(tensor.name)'"
        switch tensor.datatype {
        case .bytes:
            var first = true
            for element in try tensor.bytesElements() {
                if !first { out += "," }
                first = false
                out += JSONText.string(String(decoding: element, as: UTF8.self))
            }
        default:
            guard let size = tensor.datatype.elementByteSize, tensor.data.count % size == 0 else {
                throw RPCError(.internal, "\(label) has \(tensor.data.count) bytes of \(tensor.datatype)")
            }
            tensor.data.withUnsafeBytes { raw in
                for index in 0..<(raw.count / size) {
                    if index > 0 { out += "," }
                    out += number(raw, at: index * size, datatype: tensor.datatype)
                }
            }
        }
        out += "]"
        return out
    }

    // MARK: Reading

    private static func flatten(_ value: Any, into elements: inout [Any], limit: Int, tensor: String) throws(RPCError) {
        if let array = value as? [Any] {
            for item in array { try flatten(item, into: &elements, limit: limit, tensor: tensor) }
        } else {
            // Counted as it grows, so a huge array is refused before it is all converted.
            guard elements.count < limit else {
                throw RPCError(.invalidArgument, "\(tensor) has more elements in data than its shape needs (\(limit))")
            }
            elements.append(value)
        }
    }

    private static func append(
        _ element: Any, as datatype: TensorDataType, to bytes: inout [UInt8], tensor: String, index: Int
    ) throws(RPCError) {
        func wrong(_ expected: String) -> RPCError {
            RPCError(.invalidArgument, "\(tensor) element \(index) is \(describe(element)); \(datatype) needs \(expected)")
        }
        switch datatype {
        case .bool:
            guard let number = element as? NSNumber, isBoolean(element) else { throw wrong("true or false") }
            bytes.append(number.boolValue ? 1 : 0)
        case .bytes:
            guard let text = element as? String else { throw wrong("a string") }
            let utf8 = Array(text.utf8)
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        case .fp32, .fp64, .fp16, .bf16:
            guard let number = element as? NSNumber, !isBoolean(element) else { throw wrong("a number") }
            let value = number.doubleValue
            switch datatype {
            case .fp64: appendLittleEndian(value.bitPattern, to: &bytes)
            case .fp32: appendLittleEndian(Float(value).bitPattern, to: &bytes)
            case .fp16: appendLittleEndian(Float16(Float(value)).bitPattern, to: &bytes)
            default: appendLittleEndian(bfloat16(Float(value)), to: &bytes)
            }
        default:
            guard let number = element as? NSNumber, !isBoolean(element), let integer = exactInteger(number) else {
                throw wrong("an integer")
            }
            guard let range = integerRange(datatype), range.contains(integer) else { throw wrong("an integer in its range") }
            switch datatype {
            case .int8: bytes.append(UInt8(bitPattern: Int8(integer)))
            case .uint8: bytes.append(UInt8(integer))
            case .int16: appendLittleEndian(UInt16(bitPattern: Int16(integer)), to: &bytes)
            case .uint16: appendLittleEndian(UInt16(integer), to: &bytes)
            case .int32: appendLittleEndian(UInt32(bitPattern: Int32(integer)), to: &bytes)
            case .uint32: appendLittleEndian(UInt32(integer), to: &bytes)
            case .int64: appendLittleEndian(UInt64(bitPattern: Int64(integer)), to: &bytes)
            default: appendLittleEndian(UInt64(integer), to: &bytes)
            }
        }
    }

    /// The element as an exact integer: whole numbers only, up to UInt64's range.
    private static func exactInteger(_ number: NSNumber) -> Int128? {
        let objCType = String(cString: number.objCType)
        if objCType == "Q" { return Int128(number.uint64Value) }
        if ["s", "i", "l", "q", "C", "S", "I", "L"].contains(objCType) { return Int128(number.int64Value) }
        let value = number.doubleValue
        guard value.rounded() == value, abs(value) < 1.8e19 else { return nil }
        return Int128(value)
    }

    private static func integerRange(_ datatype: TensorDataType) -> ClosedRange<Int128>? {
        switch datatype {
        case .int8: Int128(Int8.min)...Int128(Int8.max)
        case .uint8: 0...Int128(UInt8.max)
        case .int16: Int128(Int16.min)...Int128(Int16.max)
        case .uint16: 0...Int128(UInt16.max)
        case .int32: Int128(Int32.min)...Int128(Int32.max)
        case .uint32: 0...Int128(UInt32.max)
        case .int64: Int128(Int64.min)...Int128(Int64.max)
        case .uint64: 0...Int128(UInt64.max)
        default: nil
        }
    }

    /// JSON `true`/`false` arrive as NSNumber too (of a char, where JSON integers are long
    /// longs and other numbers doubles); tell them apart from 1 and 0.
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    private static func describe(_ value: Any) -> String {
        switch value {
        case is String: "a string"
        case _ where isBoolean(value): "a boolean"
        case is NSNumber: "the number \(value)"
        case is NSNull: "null"
        case is [String: Any]: "an object"
        default: "\(type(of: value))"
        }
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// bfloat16: the top half of the float's bits, rounded to nearest even.
    private static func bfloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return 0x7FC0 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    // MARK: Writing

    private static func number(_ raw: UnsafeRawBufferPointer, at offset: Int, datatype: TensorDataType) -> String {
        func load<T: FixedWidthInteger>(_: T.Type) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        switch datatype {
        case .bool: return raw[offset] != 0 ? "true" : "false"
        case .int8: return String(Int8(bitPattern: raw[offset]))
        case .uint8: return String(raw[offset])
        case .int16: return String(Int16(bitPattern: load(UInt16.self)))
        case .uint16: return String(load(UInt16.self))
        case .int32: return String(Int32(bitPattern: load(UInt32.self)))
        case .uint32: return String(load(UInt32.self))
        case .int64: return String(Int64(bitPattern: load(UInt64.self)))
        case .uint64: return String(load(UInt64.self))
        case .fp16: return JSONText.number(Double(Float(Float16(bitPattern: load(UInt16.self)))))
        case .bf16: return JSONText.number(Double(Float(bitPattern: UInt32(load(UInt16.self)) << 16)))
        case .fp32: return JSONText.number(Float(bitPattern: load(UInt32.self)))
        case .fp64: return JSONText.number(Double(bitPattern: load(UInt64.self)))
        case .bytes: return "null"
        }
    }
}

/// JSON text for strings and numbers, written by hand so a response is one string build.
enum JSONText {
    static func string(_ value: String) -> String {
        JSONString.quoted(value)
    }

    /// A finite number as JSON; JSON has no NaN or infinity, so those are `null`.
    static func number(_ value: Float) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }
}

import Foundation
import InferenceAPI
import JSONDocument
import RPCCore

/// One element of an output tensor, decoded for display.
public enum TensorElement: Sendable, Hashable {
    case int(Int64)
    case uint(UInt64)
    case float(Float)
    case double(Double)
    case bool(Bool)
    case bytes([UInt8])

    /// The element in a table cell: integers exactly, floats with six significant digits, BYTES as
    /// text when it is UTF-8 (else as hex).
    public var display: String {
        switch self {
        case .int(let value): "\(value)"
        case .uint(let value): "\(value)"
        case .float(let value): NumberText.significant(Double(value))
        case .double(let value): NumberText.significant(value)
        case .bool(let value): value ? "true" : "false"
        case .bytes(let bytes): Self.text(bytes) ?? "0x" + bytes.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// The element in `--json` output, with every digit kept.
    public var json: JSONValue {
        switch self {
        case .int(let value): .int(value)
        case .uint(let value): .int(value)
        case .float(let value): .float(value)
        case .double(let value): .double(value)
        case .bool(let value): .bool(value)
        case .bytes(let bytes): .string(Self.text(bytes) ?? "0x" + bytes.map { String(format: "%02x", $0) }.joined())
        }
    }

    private static func text(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)
    }
}

extension InferTensor {
    /// Every element in row-major order; INVALID_ARGUMENT naming the tensor when its data does not
    /// match its shape.
    public func elements() throws(RPCError) -> [TensorElement] {
        switch datatype {
        case .bool: return try bools().map(TensorElement.bool)
        case .int8: return try values(as: Int8.self).map { .int(Int64($0)) }
        case .int16: return try values(as: Int16.self).map { .int(Int64($0)) }
        case .int32: return try values(as: Int32.self).map { .int(Int64($0)) }
        case .int64: return try values(as: Int64.self).map(TensorElement.int)
        case .uint8: return try values(as: UInt8.self).map { .uint(UInt64($0)) }
        case .uint16: return try values(as: UInt16.self).map { .uint(UInt64($0)) }
        case .uint32: return try values(as: UInt32.self).map { .uint(UInt64($0)) }
        case .uint64: return try values(as: UInt64.self).map(TensorElement.uint)
        case .fp32: return try values(as: Float.self).map(TensorElement.float)
        case .fp64: return try values(as: Double.self).map(TensorElement.double)
        case .bytes: return try bytesElements().map(TensorElement.bytes)
        case .fp16: return try halfWords().map { .float(Self.floatFromHalf($0)) }
        case .bf16: return try halfWords().map { .float(Float(bitPattern: UInt32($0) << 16)) }
        }
    }

    /// FP16 and BF16 elements as their 16-bit patterns.
    private func halfWords() throws(RPCError) -> [UInt16] {
        try validate()
        return stride(from: 0, to: data.count, by: 2).map { UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8 }
    }

    /// IEEE 754 half precision to single, by hand: `Float16` is missing on some platforms.
    private static func floatFromHalf(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 == 0 ? 1 : -1
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * Float(sign: .plus, exponent: -24, significand: 1)
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}

import RPCCore

/// A tensor element type, spelled on the wire as the KServe datatype string (`"FP32"`).
public enum TensorDataType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case bool = "BOOL"
    case uint8 = "UINT8"
    case uint16 = "UINT16"
    case uint32 = "UINT32"
    case uint64 = "UINT64"
    case int8 = "INT8"
    case int16 = "INT16"
    case int32 = "INT32"
    case int64 = "INT64"
    case fp16 = "FP16"
    case fp32 = "FP32"
    case fp64 = "FP64"
    case bytes = "BYTES"
    case bf16 = "BF16"

    /// Bytes per element in raw contents; nil for BYTES, whose elements are length-prefixed.
    public var elementByteSize: Int? {
        switch self {
        case .bool, .uint8, .int8: 1
        case .uint16, .int16, .fp16, .bf16: 2
        case .uint32, .int32, .fp32: 4
        case .uint64, .int64, .fp64: 8
        case .bytes: nil
        }
    }

    /// The `InferTensorContents` field that carries this type's typed values; nil for FP16 and
    /// BF16, which KServe only sends as raw contents.
    public var contentsFieldName: String? {
        switch self {
        case .bool: "bool_contents"
        case .int8, .int16, .int32: "int_contents"
        case .int64: "int64_contents"
        case .uint8, .uint16, .uint32: "uint_contents"
        case .uint64: "uint64_contents"
        case .fp32: "fp32_contents"
        case .fp64: "fp64_contents"
        case .bytes: "bytes_contents"
        case .fp16, .bf16: nil
        }
    }

    public var description: String { rawValue }

    /// Parses a wire datatype string; an unknown one is INVALID_ARGUMENT naming `tensor`
    /// (for example `input 'x'`), since its size and layout cannot be known.
    public init(wireName: String, tensor: @autoclosure () -> String) throws(RPCError) {
        guard let type = TensorDataType(rawValue: wireName) else {
            let known = TensorDataType.allCases.map(\.rawValue).joined(separator: ", ")
            throw RPCError(.invalidArgument, "\(tensor()) has unknown datatype '\(wireName)' (expected one of \(known))")
        }
        self = type
    }
}

/// A fixed-size number type that maps to one tensor datatype, for building and reading tensors
/// without hand-encoding bytes.
public protocol TensorScalar: BitwiseCopyable, Sendable {
    /// The datatype whose elements are this type.
    static var tensorDataType: TensorDataType { get }
}

extension Int8: TensorScalar { public static var tensorDataType: TensorDataType { .int8 } }
extension Int16: TensorScalar { public static var tensorDataType: TensorDataType { .int16 } }
extension Int32: TensorScalar { public static var tensorDataType: TensorDataType { .int32 } }
extension Int64: TensorScalar { public static var tensorDataType: TensorDataType { .int64 } }
extension UInt8: TensorScalar { public static var tensorDataType: TensorDataType { .uint8 } }
extension UInt16: TensorScalar { public static var tensorDataType: TensorDataType { .uint16 } }
extension UInt32: TensorScalar { public static var tensorDataType: TensorDataType { .uint32 } }
extension UInt64: TensorScalar { public static var tensorDataType: TensorDataType { .uint64 } }
extension Float: TensorScalar { public static var tensorDataType: TensorDataType { .fp32 } }
extension Double: TensorScalar { public static var tensorDataType: TensorDataType { .fp64 } }

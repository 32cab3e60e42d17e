/// A dense, row-major tensor value: an element type, a shape and the elements.
public struct Tensor: Sendable, Equatable {
    /// The element types the engine computes with; raw values are ONNX `TensorProto.DataType` codes.
    public enum ElementType: Int32, Sendable, CaseIterable, CustomStringConvertible {
        case float32 = 1
        case uint8 = 2
        case int8 = 3
        case int32 = 6
        case int64 = 7
        case string = 8
        case bool = 9
        case float64 = 11

        /// The ONNX spelling of the type, as used in error messages.
        public var description: String {
            switch self {
            case .float32: "tensor(float)"
            case .uint8: "tensor(uint8)"
            case .int8: "tensor(int8)"
            case .int32: "tensor(int32)"
            case .int64: "tensor(int64)"
            case .string: "tensor(string)"
            case .bool: "tensor(bool)"
            case .float64: "tensor(double)"
            }
        }

        /// Whether the type is a floating point type.
        public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
    }

    /// The elements, in row-major order, in an array of their own Swift type.
    public enum Storage: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])
        case int32([Int32])
        case uint8([UInt8])
        case int8([Int8])
        case bool([Bool])
        case string([String])
    }

    /// The dimensions; empty for a scalar.
    public private(set) var shape: [Int]
    /// The elements.
    public private(set) var storage: Storage

    /// Makes a tensor; the element count must equal the product of the dimensions.
    public init(shape: [Int], storage: Storage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(
            Tensor.product(shape) == storage.count, "shape \(shape) needs \(Tensor.product(shape)) elements, got \(storage.count)"
        )
        self.shape = shape
        self.storage = storage
    }

    /// Makes a float32 tensor.
    public init(shape: [Int], floats: [Float]) { self.init(shape: shape, storage: .float32(floats)) }
    /// Makes a float64 tensor.
    public init(shape: [Int], doubles: [Double]) { self.init(shape: shape, storage: .float64(doubles)) }
    /// Makes an int64 tensor.
    public init(shape: [Int], int64s: [Int64]) { self.init(shape: shape, storage: .int64(int64s)) }
    /// Makes a string tensor.
    public init(shape: [Int], strings: [String]) { self.init(shape: shape, storage: .string(strings)) }

    /// The element type.
    public var elementType: ElementType { storage.elementType }
    /// The number of elements.
    public var count: Int { storage.count }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The elements as floats when the tensor is float32.
    public var floats: [Float]? { if case .float32(let v) = storage { v } else { nil } }
    /// The elements as doubles when the tensor is float64.
    public var doubles: [Double]? { if case .float64(let v) = storage { v } else { nil } }
    /// The elements as Int64 when the tensor is int64.
    public var int64s: [Int64]? { if case .int64(let v) = storage { v } else { nil } }
    /// The elements as strings when the tensor is a string tensor.
    public var strings: [String]? { if case .string(let v) = storage { v } else { nil } }
    /// The elements as Bool when the tensor is bool.
    public var bools: [Bool]? { if case .bool(let v) = storage { v } else { nil } }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, storage: storage) }

    /// The product of the dimensions (1 for a scalar).
    static func product(_ shape: [Int]) -> Int { shape.reduce(1, *) }
}

extension Tensor.Storage {
    /// The number of elements.
    public var count: Int {
        switch self {
        case .float32(let v): v.count
        case .float64(let v): v.count
        case .int64(let v): v.count
        case .int32(let v): v.count
        case .uint8(let v): v.count
        case .int8(let v): v.count
        case .bool(let v): v.count
        case .string(let v): v.count
        }
    }

    /// The element type.
    public var elementType: Tensor.ElementType {
        switch self {
        case .float32: .float32
        case .float64: .float64
        case .int64: .int64
        case .int32: .int32
        case .uint8: .uint8
        case .int8: .int8
        case .bool: .bool
        case .string: .string
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A numeric element type the kernels are generic over.
protocol NumericElement: Numeric, Comparable, Sendable {
    static var elementType: Tensor.ElementType { get }
    static func wrap(_ values: [Self]) -> Tensor.Storage
    static func unwrap(_ storage: Tensor.Storage) -> [Self]?
    /// ONNX division: true division for floats, truncation toward zero for integers.
    static func divide(_ a: Self, _ b: Self) -> Self
    static func power(_ a: Self, _ b: Double) -> Self
    var doubleValue: Double { get }
    /// Converts with C semantics: truncation toward zero for integers, saturation out of range.
    init(converting value: Double)
    static var lowest: Self { get }
    static var highest: Self { get }
    var isNaNValue: Bool { get }
    /// Wrapping for integers, IEEE for floats (so no kernel traps on overflow).
    static func add(_ a: Self, _ b: Self) -> Self
    static func subtract(_ a: Self, _ b: Self) -> Self
    static func multiply(_ a: Self, _ b: Self) -> Self
}

/// A floating point element type, for the transcendental kernels.
protocol FloatElement: NumericElement, BinaryFloatingPoint {
    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    static func hyperbolicTangent(_ x: Self) -> Self
}

extension NumericElement where Self: BinaryFloatingPoint {
    static func divide(_ a: Self, _ b: Self) -> Self { a / b }
    var doubleValue: Double { Double(self) }
    init(converting value: Double) { self.init(value) }
    static func add(_ a: Self, _ b: Self) -> Self { a + b }
    static func subtract(_ a: Self, _ b: Self) -> Self { a - b }
    static func multiply(_ a: Self, _ b: Self) -> Self { a * b }
    static var lowest: Self { -.infinity }
    static var highest: Self { .infinity }
    var isNaNValue: Bool { isNaN }
}

extension NumericElement where Self: FixedWidthInteger {
    static func divide(_ a: Self, _ b: Self) -> Self { b == 0 ? 0 : a.dividedReportingOverflow(by: b).partialValue }
    static func power(_ a: Self, _ b: Double) -> Self { Self(converting: pow(Double(a), b)) }
    var doubleValue: Double { Double(self) }
    init(converting value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= Double(Self.max) {
            self = .max
        } else if value <= Double(Self.min) {
            self = .min
        } else {
            self.init(value.rounded(.towardZero))
        }
    }
    static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    static func subtract(_ a: Self, _ b: Self) -> Self { a &- b }
    static func multiply(_ a: Self, _ b: Self) -> Self { a &* b }
    static var lowest: Self { .min }
    static var highest: Self { .max }
    var isNaNValue: Bool { false }
}

extension Float: FloatElement {
    static var elementType: Tensor.ElementType { .float32 }
    static func wrap(_ values: [Float]) -> Tensor.Storage { .float32(values) }
    static func unwrap(_ storage: Tensor.Storage) -> [Float]? { if case .float32(let v) = storage { v } else { nil } }
    static func power(_ a: Float, _ b: Double) -> Float { powf(a, Float(b)) }
    static func exponential(_ x: Float) -> Float { expf(x) }
    static func logarithm(_ x: Float) -> Float { logf(x) }
    static func hyperbolicTangent(_ x: Float) -> Float { tanhf(x) }
}

extension Double: FloatElement {
    static var elementType: Tensor.ElementType { .float64 }
    static func wrap(_ values: [Double]) -> Tensor.Storage { .float64(values) }
    static func unwrap(_ storage: Tensor.Storage) -> [Double]? { if case .float64(let v) = storage { v } else { nil } }
    static func power(_ a: Double, _ b: Double) -> Double { pow(a, b) }
    static func exponential(_ x: Double) -> Double { exp(x) }
    static func logarithm(_ x: Double) -> Double { log(x) }
    static func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
}

extension Int64: NumericElement {
    static var elementType: Tensor.ElementType { .int64 }
    static func wrap(_ values: [Int64]) -> Tensor.Storage { .int64(values) }
    static func unwrap(_ storage: Tensor.Storage) -> [Int64]? { if case .int64(let v) = storage { v } else { nil } }
}

extension Int32: NumericElement {
    static var elementType: Tensor.ElementType { .int32 }
    static func wrap(_ values: [Int32]) -> Tensor.Storage { .int32(values) }
    static func unwrap(_ storage: Tensor.Storage) -> [Int32]? { if case .int32(let v) = storage { v } else { nil } }
}

extension UInt8: NumericElement {
    static var elementType: Tensor.ElementType { .uint8 }
    static func wrap(_ values: [UInt8]) -> Tensor.Storage { .uint8(values) }
    static func unwrap(_ storage: Tensor.Storage) -> [UInt8]? { if case .uint8(let v) = storage { v } else { nil } }
}

extension Int8: NumericElement {
    static var elementType: Tensor.ElementType { .int8 }
    static func wrap(_ values: [Int8]) -> Tensor.Storage { .int8(values) }
    static func unwrap(_ storage: Tensor.Storage) -> [Int8]? { if case .int8(let v) = storage { v } else { nil } }
}

/// A computation generic over the numeric element type, dispatched on a tensor's runtime type.
protocol NumericVisitor {
    associatedtype Output
    func visit<T: NumericElement>(_ type: T.Type) throws -> Output
}

/// A computation generic over the floating point element type.
protocol FloatVisitor {
    associatedtype Output
    func visit<T: FloatElement>(_ type: T.Type) throws -> Output
}

extension Tensor.ElementType {
    /// Runs `visitor` with this type, or returns nil for bool and string.
    func dispatchNumeric<V: NumericVisitor>(_ visitor: V) throws -> V.Output? {
        switch self {
        case .float32: try visitor.visit(Float.self)
        case .float64: try visitor.visit(Double.self)
        case .int64: try visitor.visit(Int64.self)
        case .int32: try visitor.visit(Int32.self)
        case .uint8: try visitor.visit(UInt8.self)
        case .int8: try visitor.visit(Int8.self)
        case .bool, .string: nil
        }
    }

    /// Runs `visitor` with this type, or returns nil when it is not float32 or float64.
    func dispatchFloat<V: FloatVisitor>(_ visitor: V) throws -> V.Output? {
        switch self {
        case .float32: try visitor.visit(Float.self)
        case .float64: try visitor.visit(Double.self)
        default: nil
        }
    }
}

extension Tensor {
    /// The elements as `T`; the caller has checked the type.
    func values<T: NumericElement>(_: T.Type) -> [T] { T.unwrap(storage)! }

    /// Makes a tensor from typed elements.
    init<T: NumericElement>(shape: [Int], values: [T]) { self.init(shape: shape, storage: T.wrap(values)) }

    /// The elements converted to Double (bools as 0/1); nil for strings.
    func doubleValues() -> [Double]? {
        switch storage {
        case .float32(let v): v.map(Double.init)
        case .float64(let v): v
        case .int64(let v): v.map(Double.init)
        case .int32(let v): v.map(Double.init)
        case .uint8(let v): v.map(Double.init)
        case .int8(let v): v.map(Double.init)
        case .bool(let v): v.map { $0 ? 1 : 0 }
        case .string: nil
        }
    }

    /// The elements of an int64 or int32 tensor as Int (for shapes, axes and indices).
    func intValues() -> [Int]? {
        switch storage {
        case .int64(let v): v.map { Int(clamping: $0) }
        case .int32(let v): v.map { Int($0) }
        default: nil
        }
    }
}

extension Tensor.Storage {
    /// The elements at `indices`, in that order.
    func gathered(_ indices: [Int]) -> Tensor.Storage {
        switch self {
        case .float32(let v): .float32(indices.map { v[$0] })
        case .float64(let v): .float64(indices.map { v[$0] })
        case .int64(let v): .int64(indices.map { v[$0] })
        case .int32(let v): .int32(indices.map { v[$0] })
        case .uint8(let v): .uint8(indices.map { v[$0] })
        case .int8(let v): .int8(indices.map { v[$0] })
        case .bool(let v): .bool(indices.map { v[$0] })
        case .string(let v): .string(indices.map { v[$0] })
        }
    }

    /// All elements of `parts` (of this storage's type) appended after this storage's.
    func appending(contentsOf parts: [Tensor.Storage]) -> Tensor.Storage {
        switch self {
        case .float32(var v): for case .float32(let p) in parts { v += p }; return .float32(v)
        case .float64(var v): for case .float64(let p) in parts { v += p }; return .float64(v)
        case .int64(var v): for case .int64(let p) in parts { v += p }; return .int64(v)
        case .int32(var v): for case .int32(let p) in parts { v += p }; return .int32(v)
        case .uint8(var v): for case .uint8(let p) in parts { v += p }; return .uint8(v)
        case .int8(var v): for case .int8(let p) in parts { v += p }; return .int8(v)
        case .bool(var v): for case .bool(let p) in parts { v += p }; return .bool(v)
        case .string(var v): for case .string(let p) in parts { v += p }; return .string(v)
        }
    }

    /// Selects from `self` where `condition` is true and from `other` (same type) elsewhere.
    func selecting(_ condition: [Bool], aIndex: [Int], other: Tensor.Storage, bIndex: [Int]) -> Tensor.Storage {
        func pick<T>(_ a: [T], _ b: [T]) -> [T] { condition.indices.map { condition[$0] ? a[aIndex[$0]] : b[bIndex[$0]] } }
        switch (self, other) {
        case (.float32(let a), .float32(let b)): return .float32(pick(a, b))
        case (.float64(let a), .float64(let b)): return .float64(pick(a, b))
        case (.int64(let a), .int64(let b)): return .int64(pick(a, b))
        case (.int32(let a), .int32(let b)): return .int32(pick(a, b))
        case (.uint8(let a), .uint8(let b)): return .uint8(pick(a, b))
        case (.int8(let a), .int8(let b)): return .int8(pick(a, b))
        case (.bool(let a), .bool(let b)): return .bool(pick(a, b))
        case (.string(let a), .string(let b)): return .string(pick(a, b))
        default: preconditionFailure("selecting between different element types")
        }
    }
}

/// Shape arithmetic shared by the kernels.
enum Shape {
    /// Row-major strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// The numpy broadcast of several shapes, or nil when they are incompatible.
    static func broadcast(_ shapes: [[Int]]) -> [Int]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for shape in shapes {
            let offset = rank - shape.count
            for (i, d) in shape.enumerated() {
                let o = out[offset + i]
                if o == d || d == 1 { continue }
                if o == 1 { out[offset + i] = d } else { return nil }
            }
        }
        return out
    }

    /// For each element of `output` (row-major), the index of the element of `source` broadcast onto it.
    static func broadcastIndices(from source: [Int], to output: [Int]) -> [Int] {
        let count = output.reduce(1, *)
        if source == output { return Array(0..<count) }
        let offset = output.count - source.count
        let sourceStrides = strides(source)
        var strideForOutput = [Int](repeating: 0, count: output.count)
        for i in 0..<source.count where source[i] != 1 { strideForOutput[offset + i] = sourceStrides[i] }
        return mapIndices(output, strideForOutput, start: 0)
    }

    /// Walks `shape` row-major and returns `start + sum(index[i] * strides[i])` for every element.
    static func mapIndices(_ shape: [Int], _ strides: [Int], start: Int) -> [Int] {
        let count = shape.reduce(1, *)
        var result = [Int]()
        result.reserveCapacity(count)
        if count == 0 { return result }
        let rank = shape.count
        if rank == 0 { return [start] }
        var counter = [Int](repeating: 0, count: rank)
        var position = start
        let last = rank - 1
        let innerSize = shape[last], innerStride = strides[last]
        while true {
            var p = position
            for _ in 0..<innerSize {
                result.append(p)
                p += innerStride
            }
            var axis = last - 1
            while axis >= 0 {
                counter[axis] += 1
                position += strides[axis]
                if counter[axis] < shape[axis] { break }
                position -= strides[axis] * shape[axis]
                counter[axis] = 0
                axis -= 1
            }
            if axis < 0 { return result }
        }
    }

    /// `axis` made non-negative for a tensor of `rank`, or an error naming the attribute.
    static func normalizeAxis(_ axis: Int, rank: Int, _ what: String = "axis") throws(ONNXError) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) || (rank == 0 && a == 0) else {
            throw .invalidInput("\(what) \(axis) is out of range for rank \(rank)")
        }
        return a
    }
}

import InferenceAPI
import ONNXEngine
import RPCCore

/// Conversion between the wire's `InferTensor` (raw little-endian bytes) and the engine's `Tensor`.
enum TensorConversion {
    /// The wire datatype of an engine element type.
    static func dataType(of type: Tensor.ElementType) -> TensorDataType {
        switch type {
        case .float32: .fp32
        case .float64: .fp64
        case .int64: .int64
        case .int32: .int32
        case .uint8: .uint8
        case .int8: .int8
        case .bool: .bool
        case .string: .bytes
        }
    }

    /// The engine tensor holding input `tensor`'s elements. The caller has checked the datatype
    /// and shape; this checks the data against them.
    static func tensor(from tensor: InferTensor) throws(RPCError) -> Tensor {
        let shape = tensor.shape.map { Int($0) }
        let storage: Tensor.Storage
        switch tensor.datatype {
        case .fp32: storage = .float32(try tensor.values(as: Float.self))
        case .fp64: storage = .float64(try tensor.values(as: Double.self))
        case .int64: storage = .int64(try tensor.values(as: Int64.self))
        case .int32: storage = .int32(try tensor.values(as: Int32.self))
        case .uint8: storage = .uint8(try tensor.values(as: UInt8.self))
        case .int8: storage = .int8(try tensor.values(as: Int8.self))
        case .bool: storage = .bool(try tensor.bools())
        case .bytes:
            var strings: [String] = []
            for (index, element) in try tensor.bytesElements().enumerated() {
                guard let string = String(validating: element, as: UTF8.self) else {
                    throw RPCError(.invalidArgument, "input '\(tensor.name)': BYTES element \(index) is not valid UTF-8")
                }
                strings.append(string)
            }
            storage = .string(strings)
        default:
            throw RPCError(.invalidArgument, "input '\(tensor.name)': datatype \(tensor.datatype) is not supported by the engine")
        }
        return Tensor(shape: shape, storage: storage)
    }

    /// The wire tensor named `name` holding `tensor`'s elements.
    static func inferTensor(name: String, from tensor: Tensor) -> InferTensor {
        let shape = tensor.shape.map { Int64($0) }
        switch tensor.storage {
        case .float32(let values): return InferTensor(name: name, shape: shape, values: values)
        case .float64(let values): return InferTensor(name: name, shape: shape, values: values)
        case .int64(let values): return InferTensor(name: name, shape: shape, values: values)
        case .int32(let values): return InferTensor(name: name, shape: shape, values: values)
        case .uint8(let values): return InferTensor(name: name, shape: shape, values: values)
        case .int8(let values): return InferTensor(name: name, shape: shape, values: values)
        case .bool(let values): return InferTensor(name: name, shape: shape, bools: values)
        case .string(let values): return InferTensor(name: name, shape: shape, bytesElements: values.map { Array($0.utf8) })
        }
    }
}

extension Tensor {
    /// Tensors of one element type and equal trailing dimensions stacked along dimension 0.
    static func concatenated(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty)
        if parts.count == 1 { return parts[0] }
        let rows = parts.reduce(0) { $0 + ($1.shape.first ?? 1) }
        let shape = [rows] + parts[0].shape.dropFirst()
        func join<T>(_ extract: (Tensor.Storage) -> [T]) -> [T] {
            var all: [T] = []
            all.reserveCapacity(parts.reduce(0) { $0 + $1.count })
            for part in parts { all += extract(part.storage) }
            return all
        }
        let storage: Storage
        switch parts[0].storage {
        case .float32: storage = .float32(join { if case .float32(let v) = $0 { v } else { [] } })
        case .float64: storage = .float64(join { if case .float64(let v) = $0 { v } else { [] } })
        case .int64: storage = .int64(join { if case .int64(let v) = $0 { v } else { [] } })
        case .int32: storage = .int32(join { if case .int32(let v) = $0 { v } else { [] } })
        case .uint8: storage = .uint8(join { if case .uint8(let v) = $0 { v } else { [] } })
        case .int8: storage = .int8(join { if case .int8(let v) = $0 { v } else { [] } })
        case .bool: storage = .bool(join { if case .bool(let v) = $0 { v } else { [] } })
        case .string: storage = .string(join { if case .string(let v) = $0 { v } else { [] } })
        }
        return Tensor(shape: shape, storage: storage)
    }

    /// Rows `range` of dimension 0.
    func rows(_ range: Range<Int>) -> Tensor {
        let total = shape.first ?? 0
        let perRow = total == 0 ? 0 : count / total
        let elements = (range.lowerBound * perRow)..<(range.upperBound * perRow)
        let shape = [range.count] + self.shape.dropFirst()
        let storage: Storage
        switch self.storage {
        case .float32(let v): storage = .float32(Array(v[elements]))
        case .float64(let v): storage = .float64(Array(v[elements]))
        case .int64(let v): storage = .int64(Array(v[elements]))
        case .int32(let v): storage = .int32(Array(v[elements]))
        case .uint8(let v): storage = .uint8(Array(v[elements]))
        case .int8(let v): storage = .int8(Array(v[elements]))
        case .bool(let v): storage = .bool(Array(v[elements]))
        case .string(let v): storage = .string(Array(v[elements]))
        }
        return Tensor(shape: shape, storage: storage)
    }
}

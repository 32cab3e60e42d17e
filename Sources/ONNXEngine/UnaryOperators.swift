/// Elementwise operators of one input: activations, math functions, Not, Clip, and Cast.
enum UnaryOperators {
    static let definitions: [OperatorDefinition] = [
        numeric("Relu", .relu), numeric("Abs", .abs), numeric("Neg", .negate),
        float("Sigmoid", .sigmoid), float("Tanh", .tanh), float("Exp", .exp), float("Log", .log),
        float("Sqrt", .sqrt), float("Floor", .floor), float("Ceil", .ceil), float("Reciprocal", .reciprocal),
        OperatorDefinition("Not", inputs: 1...1) { _ in
            { inputs, _ in
                let x = try inputs.required(0)
                guard let v = x.bools else { throw typeError(0, x, expected: "tensor(bool)") }
                return [Tensor(shape: x.shape, storage: .bool(v.map { !$0 }))]
            }
        },
        OperatorDefinition("Clip", inputs: 1...3, make: clip),
        OperatorDefinition("Cast", inputs: 1...1, make: cast),
    ]

    enum NumericFunction { case relu, abs, negate }
    enum FloatFunction { case sigmoid, tanh, exp, log, sqrt, floor, ceil, reciprocal }

    /// An elementwise operator of one input; before opset 6 these operators had a `consumed_inputs` attribute.
    static func elementwise(
        _ name: String, apply: @escaping @Sendable (_ x: Tensor, _ buffers: BufferPool) throws -> Tensor
    ) -> OperatorDefinition {
        OperatorDefinition.buffered(
            name, inputs: 1...1,
            make: { context in
                if context.opset < 6 { try context.reject("consumed_inputs") { _ in false } }
                return { inputs, _, buffers in [try apply(inputs.required(0), buffers)] }
            })
    }

    static func numeric(_ name: String, _ function: NumericFunction) -> OperatorDefinition {
        struct Apply: NumericVisitor {
            var x: Tensor, function: NumericFunction, buffers: BufferPool
            func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
                let v = x.values(T.self)
                switch function {
                case .relu: return Tensor(shape: x.shape, values: buffers.mapped(v) { $0 > .zero ? $0 : .zero })
                case .abs:
                    return Tensor(shape: x.shape, values: buffers.mapped(v) { $0 < .zero ? T.subtract(.zero, $0) : $0 })
                case .negate: return Tensor(shape: x.shape, values: buffers.mapped(v) { T.subtract(.zero, $0) })
                }
            }
        }
        return elementwise(name) { x, buffers in
            guard let y = try x.elementType.dispatchNumeric(Apply(x: x, function: function, buffers: buffers)) else {
                throw typeError(0, x, expected: "a numeric type")
            }
            return y
        }
    }

    static func float(_ name: String, _ function: FloatFunction) -> OperatorDefinition {
        struct Apply: FloatVisitor {
            var x: Tensor, function: FloatFunction, buffers: BufferPool
            func visit<T: FloatElement>(_: T.Type) throws -> Tensor {
                let v = x.values(T.self)
                let y: [T]
                switch function {
                case .sigmoid: y = buffers.mapped(v, sigmoid)
                case .tanh: y = buffers.mapped(v, T.hyperbolicTangent)
                case .exp: y = buffers.mapped(v, T.exponential)
                case .log: y = buffers.mapped(v, T.logarithm)
                case .sqrt: y = buffers.mapped(v) { $0.squareRoot() }
                case .floor: y = buffers.mapped(v) { $0.rounded(.down) }
                case .ceil: y = buffers.mapped(v) { $0.rounded(.up) }
                case .reciprocal: y = buffers.mapped(v) { 1 / $0 }
                }
                return Tensor(shape: x.shape, values: y)
            }
        }
        return elementwise(name) { x, buffers in
            guard let y = try x.elementType.dispatchFloat(Apply(x: x, function: function, buffers: buffers)) else {
                throw typeError(0, x, expected: "tensor(float) or tensor(double)")
            }
            return y
        }
    }

    static func clip(_ context: NodeContext) throws -> Kernel {
        let attributeBounds: (Double, Double)?
        if context.opset < 11 {
            attributeBounds = (
                Double(try context.float("min", default: -.infinity)), Double(try context.float("max", default: .infinity))
            )
        } else {
            attributeBounds = nil
        }
        return { inputs, _ in
            let x = try inputs.required(0)
            func bound(_ index: Int) throws -> Tensor? {
                guard let t = inputs.optional(index) else { return nil }
                guard t.count == 1, t.elementType == x.elementType else {
                    throw ONNXError.invalidInput(
                        "input \(index) must be a single \(x.elementType) value, got \(t.elementType) of shape \(t.shape)")
                }
                return t
            }
            struct Apply: NumericVisitor {
                var x: Tensor, low: Tensor?, high: Tensor?, attributes: (Double, Double)?
                func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
                    var lo = low.map { $0.values(T.self)[0] } ?? T.lowest
                    var hi = high.map { $0.values(T.self)[0] } ?? T.highest
                    if let (a, b) = attributes { lo = T(converting: a); hi = T(converting: b) }
                    return Tensor(shape: x.shape, values: x.values(T.self).map { $0 < lo ? lo : ($0 > hi ? hi : $0) })
                }
            }
            let apply = Apply(x: x, low: try bound(1), high: try bound(2), attributes: attributeBounds)
            guard let y = try x.elementType.dispatchNumeric(apply) else { throw typeError(0, x, expected: "a numeric type") }
            return [y]
        }
    }

    static func cast(_ context: NodeContext) throws -> Kernel {
        guard let code = try context.int("to") else { throw ONNXError.invalidModel("attribute 'to' is required") }
        guard let target = Tensor.ElementType(rawValue: Int32(clamping: code)) else {
            throw ONNXError.unsupported("casting to \(onnxDataTypeName(Int32(clamping: code))) is not supported")
        }
        return { inputs, _ in [try castTensor(inputs.required(0), to: target)] }
    }
}

@inline(__always)
func sigmoid<T: FloatElement>(_ x: T) -> T {
    if x >= 0 { return 1 / (1 + T.exponential(-x)) }
    let e = T.exponential(x)
    return e / (1 + e)
}

/// Converts a tensor to another element type with ONNX Cast semantics.
func castTensor(_ x: Tensor, to target: Tensor.ElementType) throws -> Tensor {
    if x.elementType == target { return x }
    let storage: Tensor.Storage
    switch (x.storage, target) {
    case (.string(let v), _):
        if target == .bool { throw ONNXError.unsupported("casting tensor(string) to tensor(bool) is not supported") }
        let parsed = try v.map { s -> Double in
            let t = s.trimmingCharacters(in: " ")
            if let d = Double(t) { return d }
            switch t.lowercased() {
            case "inf", "+inf", "infinity", "+infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            case "nan", "+nan", "-nan": return .nan
            default: throw ONNXError.invalidInput("cannot convert string '\(s)' to a number")
            }
        }
        if target == .float32 {
            storage = .float32(v.map { Float($0.trimmingCharacters(in: " ")) }.enumerated().map { $1 ?? Float(parsed[$0]) })
        } else {
            storage = try numericStorage(parsed, as: target)
        }
    case (_, .string):
        switch x.storage {
        case .float32(let v): storage = .string(v.map { formatFloat(Double($0), $0.description) })
        case .float64(let v): storage = .string(v.map { formatFloat($0, $0.description) })
        case .bool(let v): storage = .string(v.map { $0 ? "1" : "0" })
        case .int64(let v): storage = .string(v.map(\.description))
        case .int32(let v): storage = .string(v.map(\.description))
        case .uint8(let v): storage = .string(v.map(\.description))
        case .int8(let v): storage = .string(v.map(\.description))
        case .string: storage = x.storage
        }
    case (.bool(let v), _):
        storage = try numericStorage(v.map { $0 ? 1 : 0 }, as: target)
    case (.int64(let v), _) where target != .float32 && target != .float64:
        storage = integerStorage(v, as: target)
    case (.int32(let v), _) where target != .float32 && target != .float64:
        storage = integerStorage(v.map(Int64.init), as: target)
    case (.uint8(let v), _) where target != .float32 && target != .float64:
        storage = integerStorage(v.map(Int64.init), as: target)
    case (.int8(let v), _) where target != .float32 && target != .float64:
        storage = integerStorage(v.map(Int64.init), as: target)
    case (.float32(let v), .float64): storage = .float64(v.map(Double.init))
    case (.float64(let v), .float32): storage = .float32(v.map(Float.init))
    case (.int64(let v), .float32): storage = .float32(v.map(Float.init))
    default:
        storage = try numericStorage(x.doubleValues()!, as: target)
    }
    return Tensor(shape: x.shape, storage: storage)
}

private func formatFloat(_ value: Double, _ shortest: String) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "INF" : "-INF" }
    return shortest
}

/// Doubles converted to a numeric or bool element type (C semantics for integers).
private func numericStorage(_ v: [Double], as target: Tensor.ElementType) throws -> Tensor.Storage {
    switch target {
    case .float32: .float32(v.map(Float.init))
    case .float64: .float64(v)
    case .int64: .int64(v.map { Int64(converting: $0) })
    case .int32: .int32(v.map { Int32(converting: $0) })
    case .uint8: .uint8(v.map { UInt8(converting: $0) })
    case .int8: .int8(v.map { Int8(converting: $0) })
    case .bool: .bool(v.map { $0 != 0 })
    case .string: throw ONNXError.unsupported("internal: numeric storage cannot be string")
    }
}

/// Integers converted with two's-complement truncation, like a C cast.
private func integerStorage(_ v: [Int64], as target: Tensor.ElementType) -> Tensor.Storage {
    switch target {
    case .int64: .int64(v)
    case .int32: .int32(v.map { Int32(truncatingIfNeeded: $0) })
    case .uint8: .uint8(v.map { UInt8(truncatingIfNeeded: $0) })
    case .int8: .int8(v.map { Int8(truncatingIfNeeded: $0) })
    case .bool: .bool(v.map { $0 != 0 })
    case .float32: .float32(v.map(Float.init))
    case .float64: .float64(v.map(Double.init))
    case .string: .string(v.map(\.description))
    }
}

extension String {
    /// The string without leading and trailing `character`s.
    func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}

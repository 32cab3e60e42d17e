/// Binary operators with numpy broadcasting: arithmetic, Pow, comparisons, logic, and Where.
enum ElementwiseOperators {
    static let definitions: [OperatorDefinition] = [
        arithmetic("Add", .add), arithmetic("Sub", .subtract), arithmetic("Mul", .multiply), arithmetic("Div", .divide),
        OperatorDefinition("Pow", inputs: 2...2) { _ in
            { inputs, limits in [try pow(inputs.required(0), inputs.required(1), limits)] }
        },
        comparison("Equal", .equal), comparison("Less", .less), comparison("Greater", .greater),
        comparison("LessOrEqual", .lessOrEqual), comparison("GreaterOrEqual", .greaterOrEqual),
        logic("And", { $0 && $1 }), logic("Or", { $0 || $1 }), logic("Xor", { $0 != $1 }),
        OperatorDefinition("Where", inputs: 3...3) { _ in { inputs, limits in [try whereSelect(inputs, limits)] } },
    ]

    enum ArithmeticOp { case add, subtract, multiply, divide }
    enum ComparisonOp { case equal, less, greater, lessOrEqual, greaterOrEqual }

    static func arithmetic(_ name: String, _ op: ArithmeticOp) -> OperatorDefinition {
        OperatorDefinition.buffered(
            name, inputs: 2...2,
            make: { context in
                if context.opset < 7 {
                    // Before opset 7 broadcasting was opt-in through attributes with different rules.
                    if try context.int("broadcast") == 1 {
                        throw ONNXError.unsupported("the legacy 'broadcast' attribute (opset < 7) is not supported")
                    }
                }
                return { inputs, limits, buffers in
                    let a = try inputs.required(0), b = try inputs.required(1)
                    let shape = try broadcastShape(a, b, limits)
                    guard a.elementType == b.elementType else {
                        throw typeError(1, b, expected: "\(a.elementType) like input 0")
                    }
                    let arithmetic = Arithmetic(op: op, a: a, b: b, shape: shape, buffers: buffers)
                    guard let result = try a.elementType.dispatchNumeric(arithmetic) else {
                        throw typeError(0, a, expected: "a numeric type")
                    }
                    return [result]
                }
            })
    }

    struct Arithmetic: NumericVisitor {
        var op: ArithmeticOp, a: Tensor, b: Tensor, shape: [Int], buffers: BufferPool
        func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
            let x = a.values(T.self), y = b.values(T.self)
            var values = buffers.take(T.self, count: Tensor.product(shape))
            switch op {
            case .add: broadcastApply(x, a.shape, y, b.shape, shape, into: &values, T.add)
            case .subtract: broadcastApply(x, a.shape, y, b.shape, shape, into: &values, T.subtract)
            case .multiply: broadcastApply(x, a.shape, y, b.shape, shape, into: &values, T.multiply)
            case .divide: broadcastApply(x, a.shape, y, b.shape, shape, into: &values, T.divide)
            }
            return Tensor(shape: shape, values: values)
        }
    }

    static func pow(_ a: Tensor, _ b: Tensor, _ limits: ONNXLimits) throws -> Tensor {
        let shape = try broadcastShape(a, b, limits)
        guard let exponents = b.doubleValues(), b.elementType != .bool else { throw typeError(1, b, expected: "a numeric type") }
        struct Power: NumericVisitor {
            var a: Tensor, b: Tensor, exponents: [Double], shape: [Int]
            func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
                Tensor(shape: shape, values: broadcastApply(a.values(T.self), a.shape, exponents, b.shape, shape, T.power))
            }
        }
        guard let result = try a.elementType.dispatchNumeric(Power(a: a, b: b, exponents: exponents, shape: shape)) else {
            throw typeError(0, a, expected: "a numeric type")
        }
        return result
    }

    static func comparison(_ name: String, _ op: ComparisonOp) -> OperatorDefinition {
        OperatorDefinition(name, inputs: 2...2) { _ in
            { inputs, limits in
                let a = try inputs.required(0), b = try inputs.required(1)
                let shape = try broadcastShape(a, b, limits)
                guard a.elementType == b.elementType else { throw typeError(1, b, expected: "\(a.elementType) like input 0") }
                switch (a.storage, b.storage) {
                case (.bool(let x), .bool(let y)) where op == .equal:
                    return [Tensor(shape: shape, storage: .bool(broadcastApply(x, a.shape, y, b.shape, shape, ==)))]
                case (.string(let x), .string(let y)) where op == .equal:
                    return [Tensor(shape: shape, storage: .bool(broadcastApply(x, a.shape, y, b.shape, shape, ==)))]
                default:
                    guard let result = try a.elementType.dispatchNumeric(Compare(op: op, a: a, b: b, shape: shape)) else {
                        throw typeError(0, a, expected: "a numeric type")
                    }
                    return [result]
                }
            }
        }
    }

    struct Compare: NumericVisitor {
        var op: ComparisonOp, a: Tensor, b: Tensor, shape: [Int]
        func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
            let x = a.values(T.self), y = b.values(T.self)
            let values: [Bool]
            switch op {
            case .equal: values = broadcastApply(x, a.shape, y, b.shape, shape, ==)
            case .less: values = broadcastApply(x, a.shape, y, b.shape, shape, <)
            case .greater: values = broadcastApply(x, a.shape, y, b.shape, shape, >)
            case .lessOrEqual: values = broadcastApply(x, a.shape, y, b.shape, shape, <=)
            case .greaterOrEqual: values = broadcastApply(x, a.shape, y, b.shape, shape, >=)
            }
            return Tensor(shape: shape, storage: .bool(values))
        }
    }

    static func logic(_ name: String, _ f: @escaping @Sendable (Bool, Bool) -> Bool) -> OperatorDefinition {
        OperatorDefinition(name, inputs: 2...2) { _ in
            { inputs, limits in
                let a = try inputs.required(0), b = try inputs.required(1)
                guard let x = a.bools else { throw typeError(0, a, expected: "tensor(bool)") }
                guard let y = b.bools else { throw typeError(1, b, expected: "tensor(bool)") }
                let shape = try broadcastShape(a, b, limits)
                return [Tensor(shape: shape, storage: .bool(broadcastApply(x, a.shape, y, b.shape, shape, f)))]
            }
        }
    }

    static func whereSelect(_ inputs: [Tensor?], _ limits: ONNXLimits) throws -> Tensor {
        let condition = try inputs.required(0), x = try inputs.required(1), y = try inputs.required(2)
        guard let flags = condition.bools else { throw typeError(0, condition, expected: "tensor(bool)") }
        guard x.elementType == y.elementType else { throw typeError(2, y, expected: "\(x.elementType) like input 1") }
        guard let shape = Shape.broadcast([condition.shape, x.shape, y.shape]) else {
            throw ONNXError.invalidInput("shapes \(condition.shape), \(x.shape) and \(y.shape) do not broadcast")
        }
        _ = try limits.elementCount(shape, "the output")
        let c = Shape.broadcastIndices(from: condition.shape, to: shape).map { flags[$0] }
        let storage = x.storage.selecting(
            c, aIndex: Shape.broadcastIndices(from: x.shape, to: shape),
            other: y.storage, bIndex: Shape.broadcastIndices(from: y.shape, to: shape))
        return Tensor(shape: shape, storage: storage)
    }
}

/// The broadcast shape of two inputs, checked against the limits.
func broadcastShape(_ a: Tensor, _ b: Tensor, _ limits: ONNXLimits) throws -> [Int] {
    guard let shape = Shape.broadcast([a.shape, b.shape]) else {
        throw ONNXError.invalidInput("input shapes \(a.shape) and \(b.shape) are not broadcastable")
    }
    _ = try limits.elementCount(shape, "the output")
    return shape
}

/// `f` applied elementwise to `x` and `y` broadcast to `shape`.
@inline(__always)
func broadcastApply<A, B, R>(_ x: [A], _ xShape: [Int], _ y: [B], _ yShape: [Int], _ shape: [Int], _ f: (A, B) -> R) -> [R] {
    let count = Tensor.product(shape)
    if x.count == count && y.count == count && xShape == yShape {
        return [R](unsafeUninitializedCapacity: count) { buffer, initialized in
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeBufferPointer { ys in
                    for i in 0..<count { buffer.initializeElement(at: i, to: f(xs[i], ys[i])) }
                }
            }
            initialized = count
        }
    }
    if y.count == 1 && x.count == count {
        let v = y[0]
        return x.map { f($0, v) }
    }
    if x.count == 1 && y.count == count {
        let v = x[0]
        return y.map { f(v, $0) }
    }
    let xi = Shape.broadcastIndices(from: xShape, to: shape)
    let yi = Shape.broadcastIndices(from: yShape, to: shape)
    return (0..<count).map { f(x[xi[$0]], y[yi[$0]]) }
}

/// `f` applied elementwise to `x` and `y` broadcast to `shape`, written into `out` (already of that size).
@inline(__always)
func broadcastApply<A, B, R>(
    _ x: [A], _ xShape: [Int], _ y: [B], _ yShape: [Int], _ shape: [Int], into out: inout [R], _ f: (A, B) -> R
) {
    let count = out.count
    x.withUnsafeBufferPointer { xs in
        y.withUnsafeBufferPointer { ys in
            out.withUnsafeMutableBufferPointer { o in
                if xs.count == count && ys.count == count && xShape == yShape {
                    for i in 0..<count { o[i] = f(xs[i], ys[i]) }
                } else if ys.count == 1 && xs.count == count {
                    let v = ys[0]
                    for i in 0..<count { o[i] = f(xs[i], v) }
                } else if xs.count == 1 && ys.count == count {
                    let v = xs[0]
                    for i in 0..<count { o[i] = f(v, ys[i]) }
                } else if yShape.count >= 1, xShape.count >= 1, xShape.last == yShape.last,
                    xs.count == count, ys.count == yShape.last!, ys.count > 0
                {
                    // A row broadcast down a matrix (a bias): the common case after MatMul.
                    let width = ys.count
                    for start in stride(from: 0, to: count, by: width) {
                        for j in 0..<width { o[start + j] = f(xs[start + j], ys[j]) }
                    }
                } else {
                    let xi = Shape.broadcastIndices(from: xShape, to: shape)
                    let yi = Shape.broadcastIndices(from: yShape, to: shape)
                    for i in 0..<count { o[i] = f(xs[xi[i]], ys[yi[i]]) }
                }
            }
        }
    }
}

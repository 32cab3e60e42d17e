/// Elementwise operators over any number of broadcast inputs: Sum, Mean, Max, Min.
enum VariadicOperators {
    static let definitions: [OperatorDefinition] = [
        variadic("Sum", .sum), variadic("Mean", .mean), variadic("Max", .max), variadic("Min", .min),
    ]

    enum Combine { case sum, mean, max, min }

    static func variadic(_ name: String, _ combine: Combine) -> OperatorDefinition {
        OperatorDefinition(name, inputs: 1...4096) { context in
            if context.opset < 6 { try context.reject("consumed_inputs") { _ in false } }
            return { inputs, limits in
                let tensors = try inputs.indices.map { try inputs.required($0) }
                for (i, t) in tensors.enumerated() where t.elementType != tensors[0].elementType {
                    throw typeError(i, t, expected: "\(tensors[0].elementType) like input 0")
                }
                guard let shape = Shape.broadcast(tensors.map(\.shape)) else {
                    throw ONNXError.invalidInput("input shapes \(tensors.map(\.shape)) are not broadcastable")
                }
                _ = try limits.elementCount(shape, "the output")
                if combine == .mean && !tensors[0].elementType.isFloatingPoint {
                    throw typeError(0, tensors[0], expected: "a floating point type")
                }
                guard let result = try tensors[0].elementType.dispatchNumeric(Fold(tensors: tensors, combine: combine)) else {
                    throw typeError(0, tensors[0], expected: "a numeric type")
                }
                return [result]
            }
        }
    }

    struct Fold: NumericVisitor {
        var tensors: [Tensor], combine: Combine
        func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
            var values = tensors[0].values(T.self), shape = tensors[0].shape
            for t in tensors.dropFirst() {
                let next = Shape.broadcast([shape, t.shape])!
                switch combine {
                case .sum, .mean: values = broadcastApply(values, shape, t.values(T.self), t.shape, next, T.add)
                case .max: values = broadcastApply(values, shape, t.values(T.self), t.shape, next, larger)
                case .min: values = broadcastApply(values, shape, t.values(T.self), t.shape, next, smaller)
                }
                shape = next
            }
            if combine == .mean {
                let n = T(converting: Double(tensors.count))
                for i in values.indices { values[i] = T.divide(values[i], n) }
            }
            return Tensor(shape: shape, values: values)
        }

        // NaN wins, as in numpy's maximum and minimum.
        func larger<T: NumericElement>(_ a: T, _ b: T) -> T {
            a.isNaNValue || b.isNaNValue ? (a.isNaNValue ? a : b) : (b > a ? b : a)
        }
        func smaller<T: NumericElement>(_ a: T, _ b: T) -> T {
            a.isNaNValue || b.isNaNValue ? (a.isNaNValue ? a : b) : (b < a ? b : a)
        }
    }
}

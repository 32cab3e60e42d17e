/// ai.onnx.ml OneHotEncoder: each input value becomes a row of zeros with a one at its category.
enum OneHotEncoderOperator {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition("OneHotEncoder", domain: mlDomain, inputs: 1...1, make: make)
    ]

    static func make(_ context: NodeContext) throws -> Kernel {
        let intCategories = try context.int64s("cats_int64s") ?? []
        let stringCategories = try context.strings("cats_strings") ?? []
        guard intCategories.isEmpty || stringCategories.isEmpty else {
            throw ONNXError.invalidModel("only one of 'cats_int64s' and 'cats_strings' may be given")
        }
        let count = max(intCategories.count, stringCategories.count)
        guard count > 0 else { throw ONNXError.invalidModel("one of 'cats_int64s' and 'cats_strings' is required") }
        let zeros = try context.int("zeros", default: 1) != 0
        // A category listed twice maps to its last position, as in onnxruntime.
        var intIndex: [Int64: Int] = [:], stringIndex: [String: Int] = [:]
        for (i, c) in intCategories.enumerated() { intIndex[c] = i }
        for (i, c) in stringCategories.enumerated() { stringIndex[c] = i }
        return { [intIndex, stringIndex] inputs, limits in
            let x = try inputs.required(0)
            guard x.rank <= 2 else {
                throw ONNXError.invalidInput("input 0 has shape \(x.shape); OneHotEncoder takes rank 2 at most")
            }
            let shape = x.shape + [count]
            _ = try limits.elementCount(shape, "the output")
            var out = [Float](repeating: 0, count: x.count * count)
            func unknown(_ value: String) -> ONNXError {
                .invalidInput(
                    "value \(value) is not one of the \(count) categories, and attribute 'zeros' is 0 so unknown values are refused"
                )
            }
            switch x.storage {
            case .string(let values):
                for (i, value) in values.enumerated() {
                    if let c = stringIndex[value] { out[i * count + c] = 1 } else if !zeros { throw unknown("'\(value)'") }
                }
            case .int64(let values):
                for (i, value) in values.enumerated() {
                    if let c = intIndex[value] { out[i * count + c] = 1 } else if !zeros { throw unknown("\(value)") }
                }
            default:
                // Other numbers are truncated to int64 before the lookup.
                guard x.elementType != .bool, let values = x.doubleValues() else {
                    throw typeError(
                        0, x, expected: "tensor(string), tensor(int64), tensor(int32), tensor(float) or tensor(double)")
                }
                for (i, value) in values.enumerated() {
                    if let c = intIndex[Int64(converting: value)] {
                        out[i * count + c] = 1
                    } else if !zeros {
                        throw unknown("\(value)")
                    }
                }
            }
            return [Tensor(shape: shape, floats: out)]
        }
    }
}

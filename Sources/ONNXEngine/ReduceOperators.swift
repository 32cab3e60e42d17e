/// Reductions over axes (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd) and ArgMax/ArgMin.
enum ReduceOperators {
    static let definitions: [OperatorDefinition] = [
        reduce("ReduceSum", .sum, axesInputFrom: 13), reduce("ReduceMean", .mean, axesInputFrom: 18),
        reduce("ReduceMax", .max, axesInputFrom: 18), reduce("ReduceMin", .min, axesInputFrom: 18),
        reduce("ReduceProd", .product, axesInputFrom: 18),
        OperatorDefinition("ArgMax", inputs: 1...1) { try argExtreme($0, max: true) },
        OperatorDefinition("ArgMin", inputs: 1...1) { try argExtreme($0, max: false) },
    ]

    enum Reduction { case sum, mean, max, min, product }

    static func reduce(_ name: String, _ reduction: Reduction, axesInputFrom version: Int64) -> OperatorDefinition {
        OperatorDefinition(name, inputs: 1...2) { context in
            let keepDims = try context.int("keepdims", default: 1) != 0
            let axesFromInput = context.opset >= version
            let attributeAxes = axesFromInput ? nil : try context.ints("axes")
            let noopWithEmptyAxes = try axesFromInput && context.int("noop_with_empty_axes", default: 0) != 0
            if !axesFromInput && context.node.inputs.count > 1 {
                throw ONNXError.invalidModel(
                    "takes axes as an attribute before opset \(version), but the node lists an axes input")
            }
            return { inputs, _ in
                let x = try inputs.required(0)
                var axes = attributeAxes ?? []
                if axesFromInput, let a = inputs.optional(1) {
                    guard let values = a.intValues(), a.elementType == .int64 else {
                        throw typeError(1, a, expected: "tensor(int64)")
                    }
                    axes = values
                }
                if axes.isEmpty {
                    if noopWithEmptyAxes { return [x] }
                    axes = Array(0..<x.rank)
                }
                var reduced = [Bool](repeating: false, count: x.rank)
                for axis in axes { reduced[try Shape.normalizeAxis(axis, rank: x.rank, "axes value")] = true }
                // Each input element's output index: strides of the kept shape, 0 along reduced axes.
                let keptShape = x.shape.enumerated().map { reduced[$0.offset] ? 1 : $0.element }
                let keptStrides = Shape.strides(keptShape)
                let strides = keptStrides.enumerated().map { reduced[$0.offset] ? 0 : $0.element }
                let target = Shape.mapIndices(x.shape, strides, start: 0)
                let outShape = keepDims ? keptShape : x.shape.enumerated().filter { !reduced[$0.offset] }.map(\.element)
                let groupSize = x.shape.enumerated().filter { reduced[$0.offset] }.map(\.element).reduce(1, *)
                struct Apply: NumericVisitor {
                    var x: Tensor, target: [Int], outShape: [Int], reduction: Reduction, groupSize: Int
                    func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
                        let v = x.values(T.self)
                        let count = Tensor.product(outShape)
                        var out: [T]
                        switch reduction {
                        case .sum, .mean:
                            out = [T](repeating: .zero, count: count)
                            for i in v.indices { out[target[i]] = T.add(out[target[i]], v[i]) }
                            if reduction == .mean {
                                let n = T(converting: Double(groupSize))
                                out = out.map { groupSize == 0 ? T(converting: .nan) : T.divide($0, n) }
                            }
                        case .product:
                            out = [T](repeating: 1, count: count)
                            for i in v.indices { out[target[i]] = T.multiply(out[target[i]], v[i]) }
                        case .max:
                            out = [T](repeating: T.lowest, count: count)
                            for i in v.indices where v[i] > out[target[i]] || v[i].isNaNValue { out[target[i]] = v[i] }
                        case .min:
                            out = [T](repeating: T.highest, count: count)
                            for i in v.indices where v[i] < out[target[i]] || v[i].isNaNValue { out[target[i]] = v[i] }
                        }
                        return Tensor(shape: outShape, values: out)
                    }
                }
                let apply = Apply(x: x, target: target, outShape: outShape, reduction: reduction, groupSize: groupSize)
                guard let y = try x.elementType.dispatchNumeric(apply) else { throw typeError(0, x, expected: "a numeric type") }
                return [y]
            }
        }
    }

    static func argExtreme(_ context: NodeContext, max: Bool) throws -> Kernel {
        let axisAttribute = try context.int("axis", default: 0)
        let keepDims = try context.int("keepdims", default: 1) != 0
        let selectLast = try context.int("select_last_index", default: 0) != 0
        return { inputs, _ in
            let x = try inputs.required(0)
            let axis = try Shape.normalizeAxis(axisAttribute, rank: x.rank)
            let outer = Tensor.product(Array(x.shape.prefix(axis)))
            let size = x.shape[axis]
            let inner = Tensor.product(Array(x.shape.dropFirst(axis + 1)))
            guard size > 0 else {
                throw ONNXError.invalidInput(
                    "cannot take the arg\(max ? "max" : "min") of an empty axis \(axis) in shape \(x.shape)")
            }
            var outShape = x.shape
            if keepDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
            struct Apply: NumericVisitor {
                var x: Tensor, outer: Int, size: Int, inner: Int, max: Bool, selectLast: Bool, outShape: [Int]
                func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
                    let v = x.values(T.self)
                    var out = [Int64](repeating: 0, count: outer * inner)
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let base = o * size * inner + i
                            var best = v[base], bestIndex = 0
                            for s in 1..<Swift.max(size, 1) {
                                let value = v[base + s * inner]
                                let better =
                                    max
                                    ? (value > best || (selectLast && value == best))
                                    : (value < best || (selectLast && value == best))
                                if better { best = value; bestIndex = s }
                            }
                            out[o * inner + i] = Int64(bestIndex)
                        }
                    }
                    return Tensor(shape: outShape, storage: .int64(out))
                }
            }
            let apply = Apply(x: x, outer: outer, size: size, inner: inner, max: max, selectLast: selectLast, outShape: outShape)
            guard let y = try x.elementType.dispatchNumeric(apply) else { throw typeError(0, x, expected: "a numeric type") }
            return [y]
        }
    }
}

/// Operators that change only the layout of their input: Identity, Constant, Reshape, Flatten,
/// Squeeze, Unsqueeze, Transpose, Concat, Expand, Shape, Size.
enum ShapeOperators {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition("Identity", inputs: 1...1) { _ in { inputs, _ in [try inputs.required(0)] } },
        OperatorDefinition("Constant", inputs: 0...0, make: constant),
        OperatorDefinition("Reshape", inputs: 1...2, make: reshape),
        OperatorDefinition("Flatten", inputs: 1...1) { context in
            let axisAttribute = try context.int("axis", default: 1)
            return { inputs, _ in
                let x = try inputs.required(0)
                let axis = axisAttribute < 0 ? axisAttribute + x.rank : axisAttribute
                guard axis >= 0, axis <= x.rank else {
                    throw ONNXError.invalidInput("axis \(axisAttribute) is out of range for rank \(x.rank)")
                }
                return [
                    x.reshaped([Tensor.product(Array(x.shape.prefix(axis))), Tensor.product(Array(x.shape.dropFirst(axis)))])
                ]
            }
        },
        OperatorDefinition("Squeeze", inputs: 1...2) { try squeeze($0, unsqueeze: false) },
        OperatorDefinition("Unsqueeze", inputs: 1...2) { try squeeze($0, unsqueeze: true) },
        OperatorDefinition("Transpose", inputs: 1...1, make: transpose),
        OperatorDefinition("Concat", inputs: 1...Int.max, make: concat),
        OperatorDefinition("Expand", inputs: 2...2) { _ in
            { inputs, limits in
                let x = try inputs.required(0), shapeInput = try inputs.required(1)
                guard let target = shapeInput.intValues(), shapeInput.elementType == .int64 else {
                    throw typeError(1, shapeInput, expected: "tensor(int64)")
                }
                guard let shape = Shape.broadcast([x.shape, target]) else {
                    throw ONNXError.invalidInput("shape \(x.shape) cannot be expanded to \(target)")
                }
                _ = try limits.elementCount(shape, "the output")
                return [Tensor(shape: shape, storage: x.storage.gathered(Shape.broadcastIndices(from: x.shape, to: shape)))]
            }
        },
        OperatorDefinition("Shape", inputs: 1...1) { context in
            let start = try context.int("start", default: 0)
            let end = try context.int("end")
            return { inputs, _ in
                let x = try inputs.required(0)
                func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + x.rank : v, 0), x.rank) }
                let s = clamp(start), e = clamp(end ?? x.rank)
                let dims = s < e ? x.shape[s..<e].map(Int64.init) : []
                return [Tensor(shape: [dims.count], storage: .int64(dims))]
            }
        },
        OperatorDefinition("Size", inputs: 1...1) { _ in
            { inputs, _ in [Tensor(shape: [], storage: .int64([Int64(try inputs.required(0).count)]))] }
        },
    ]

    static func constant(_ context: NodeContext) throws -> Kernel {
        let value: Tensor
        if let t = try context.tensor("value") {
            value = t
        } else if let f = try context.float("value_float") {
            value = Tensor(shape: [], storage: .float32([f]))
        } else if let f = try context.floats("value_floats") {
            value = Tensor(shape: [f.count], storage: .float32(f))
        } else if let i = try context.int64s("value_ints") {
            value = Tensor(shape: [i.count], storage: .int64(i))
        } else if case .int(let i)? = try context.attribute("value_int") {
            value = Tensor(shape: [], storage: .int64([i]))
        } else if let s = try context.string("value_string") {
            value = Tensor(shape: [], storage: .string([s]))
        } else if let s = try context.strings("value_strings") {
            value = Tensor(shape: [s.count], storage: .string(s))
        } else if context.node.attributes["sparse_value"] != nil {
            throw ONNXError.unsupported("attribute 'sparse_value' is not supported")
        } else {
            throw ONNXError.invalidModel("has no value attribute")
        }
        return { _, _ in [value] }
    }

    static func reshape(_ context: NodeContext) throws -> Kernel {
        let allowZero = try context.int("allowzero", default: 0) != 0
        let attributeShape = context.opset < 5 ? try context.ints("shape") : nil
        return { inputs, limits in
            let x = try inputs.required(0)
            let requested: [Int]
            if let attributeShape {
                requested = attributeShape
            } else {
                let s = try inputs.required(1)
                guard let values = s.intValues(), s.elementType == .int64 else {
                    throw typeError(1, s, expected: "tensor(int64)")
                }
                requested = values
            }
            var shape = requested
            var inferred: Int? = nil
            for (i, d) in requested.enumerated() {
                if d == 0 && !allowZero {
                    guard i < x.rank else {
                        throw ONNXError.invalidInput(
                            "shape \(requested) copies dimension \(i) with 0, but the input \(x.shape) has rank \(x.rank)")
                    }
                    shape[i] = x.shape[i]
                } else if d == -1 {
                    guard inferred == nil else { throw ONNXError.invalidInput("shape \(requested) has more than one -1") }
                    inferred = i
                } else if d < -1 {
                    throw ONNXError.invalidInput("shape \(requested) has invalid dimension \(d)")
                }
            }
            if let inferred {
                shape[inferred] = 1
                let known = try limits.elementCount(shape, "the reshaped tensor")
                guard known != 0, x.count % known == 0 else {
                    throw ONNXError.invalidInput("cannot reshape \(x.shape) (\(x.count) elements) to \(requested)")
                }
                shape[inferred] = x.count / known
            }
            guard try limits.elementCount(shape, "the reshaped tensor") == x.count else {
                throw ONNXError.invalidInput(
                    "cannot reshape \(x.shape) (\(x.count) elements) to \(requested) (\(Tensor.product(shape)) elements)")
            }
            return [x.reshaped(shape)]
        }
    }

    static func squeeze(_ context: NodeContext, unsqueeze: Bool) throws -> Kernel {
        let axesFromInput = context.opset >= 13
        let attributeAxes = axesFromInput ? nil : try context.ints("axes")
        if unsqueeze && !axesFromInput && attributeAxes == nil { throw ONNXError.invalidModel("attribute 'axes' is required") }
        return { inputs, _ in
            let x = try inputs.required(0)
            var axes = attributeAxes
            if axesFromInput, let a = inputs.optional(1) {
                guard let values = a.intValues(), a.elementType == .int64 else {
                    throw typeError(1, a, expected: "tensor(int64)")
                }
                axes = values
            }
            if unsqueeze {
                guard let axes else { throw ONNXError.invalidInput("input 1 (axes) is required") }
                let rank = x.rank + axes.count
                var inserted = Set<Int>()
                for axis in axes {
                    let a = try Shape.normalizeAxis(axis, rank: rank, "axes value")
                    guard inserted.insert(a).inserted else { throw ONNXError.invalidInput("axes \(axes) repeat axis \(axis)") }
                }
                var shape: [Int] = []
                var source = x.shape.makeIterator()
                for i in 0..<rank { shape.append(inserted.contains(i) ? 1 : source.next()!) }
                return [x.reshaped(shape)]
            }
            var removed = Set<Int>()
            if let axes {
                for axis in axes {
                    let a = try Shape.normalizeAxis(axis, rank: x.rank, "axes value")
                    guard x.shape[a] == 1 else {
                        throw ONNXError.invalidInput("cannot squeeze axis \(axis) of size \(x.shape[a]) in shape \(x.shape)")
                    }
                    removed.insert(a)
                }
            } else {
                removed = Set(x.shape.indices.filter { x.shape[$0] == 1 })
            }
            return [x.reshaped(x.shape.indices.filter { !removed.contains($0) }.map { x.shape[$0] })]
        }
    }

    static func transpose(_ context: NodeContext) throws -> Kernel {
        let permutation = try context.ints("perm")
        return { inputs, _ in
            let x = try inputs.required(0)
            let perm = permutation ?? Array((0..<x.rank).reversed())
            guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else {
                throw ONNXError.invalidInput("perm \(perm) is not a permutation of the \(x.rank) axes of shape \(x.shape)")
            }
            let strides = Shape.strides(x.shape)
            let shape = perm.map { x.shape[$0] }
            let indices = Shape.mapIndices(shape, perm.map { strides[$0] }, start: 0)
            return [Tensor(shape: shape, storage: x.storage.gathered(indices))]
        }
    }

    static func concat(_ context: NodeContext) throws -> Kernel {
        guard let axisAttribute = try context.int("axis") else {
            if context.opset < 4 { return try concatKernel(axis: 1) }
            throw ONNXError.invalidModel("attribute 'axis' is required")
        }
        return try concatKernel(axis: axisAttribute)
    }

    static func concatKernel(axis axisAttribute: Int) throws -> Kernel {
        return { inputs, limits in
            let parts = try inputs.indices.map { try inputs.required($0) }
            let first = parts[0]
            let axis = try Shape.normalizeAxis(axisAttribute, rank: first.rank)
            var shape = first.shape
            shape[axis] = 0
            for (i, part) in parts.enumerated() {
                guard part.elementType == first.elementType else {
                    throw typeError(i, part, expected: "\(first.elementType) like input 0")
                }
                guard part.rank == first.rank,
                    part.shape.indices.allSatisfy({ $0 == axis || part.shape[$0] == first.shape[$0] })
                else {
                    throw ONNXError.invalidInput(
                        "input \(i) has shape \(part.shape), incompatible with input 0 \(first.shape) for axis \(axis)")
                }
                shape[axis] += part.shape[axis]
            }
            _ = try limits.elementCount(shape, "the output")
            // Gather from the parts laid end to end: each part contributes `outer` blocks of its axis slab.
            let outer = Tensor.product(Array(first.shape.prefix(axis)))
            let inner = Tensor.product(Array(first.shape.dropFirst(axis + 1)))
            var offsets: [Int] = []
            var running = 0
            for part in parts { offsets.append(running); running += part.count }
            var indices: [Int] = []
            indices.reserveCapacity(running)
            for o in 0..<outer {
                for (p, part) in parts.enumerated() {
                    let block = part.shape[axis] * inner
                    let start = offsets[p] + o * block
                    indices.append(contentsOf: start..<(start + block))
                }
            }
            let all = first.storage.appending(contentsOf: parts.dropFirst().map(\.storage))
            return [Tensor(shape: shape, storage: all.gathered(indices))]
        }
    }
}

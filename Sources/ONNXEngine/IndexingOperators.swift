/// Operators that select elements by index: Gather and Slice.
enum IndexingOperators {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition("Gather", inputs: 2...2) { context in
            let axisAttribute = try context.int("axis", default: 0)
            return { inputs, limits in
                let data = try inputs.required(0), indexTensor = try inputs.required(1)
                guard let indices = indexTensor.intValues() else {
                    throw typeError(1, indexTensor, expected: "tensor(int64) or tensor(int32)")
                }
                let axis = try Shape.normalizeAxis(axisAttribute, rank: data.rank)
                guard data.rank > 0 else { throw ONNXError.invalidInput("input 0 must have rank >= 1") }
                let size = data.shape[axis]
                let outer = Tensor.product(Array(data.shape.prefix(axis)))
                let inner = Tensor.product(Array(data.shape.dropFirst(axis + 1)))
                let shape = Array(data.shape.prefix(axis)) + indexTensor.shape + Array(data.shape.dropFirst(axis + 1))
                _ = try limits.elementCount(shape, "the output")
                var resolved: [Int] = []
                for i in indices {
                    let r = i < 0 ? i + size : i
                    guard r >= 0, r < size else {
                        throw ONNXError.invalidInput("index \(i) is out of range for axis \(axis) of size \(size)")
                    }
                    resolved.append(r)
                }
                var map: [Int] = []
                map.reserveCapacity(Tensor.product(shape))
                for o in 0..<outer {
                    for r in resolved {
                        let start = (o * size + r) * inner
                        map.append(contentsOf: start..<(start + inner))
                    }
                }
                return [Tensor(shape: shape, storage: data.storage.gathered(map))]
            }
        },
        OperatorDefinition("Slice", inputs: 1...5, make: slice),
    ]

    static func slice(_ context: NodeContext) throws -> Kernel {
        let attributes: (starts: [Int], ends: [Int], axes: [Int]?)?
        if context.opset < 10 {
            guard let starts = try context.ints("starts"), let ends = try context.ints("ends") else {
                throw ONNXError.invalidModel("attributes 'starts' and 'ends' are required")
            }
            attributes = (starts, ends, try context.ints("axes"))
        } else {
            attributes = nil
        }
        return { inputs, _ in
            let x = try inputs.required(0)
            var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
            func ints(_ i: Int) throws -> [Int]? {
                guard let t = inputs.optional(i) else { return nil }
                guard let v = t.intValues() else { throw typeError(i, t, expected: "tensor(int64) or tensor(int32)") }
                return v
            }
            if let attributes {
                (starts, ends, axes, steps) = (attributes.starts, attributes.ends, attributes.axes, nil)
            } else {
                starts = try ints(1) ?? []
                ends = try ints(2) ?? []
                axes = try ints(3)
                steps = try ints(4)
            }
            let axisList = axes ?? Array(0..<starts.count)
            guard starts.count == ends.count, axisList.count == starts.count, steps == nil || steps!.count == starts.count else {
                throw ONNXError.invalidInput(
                    "starts, ends, axes and steps must have the same length (\(starts.count), \(ends.count), \(axisList.count), \(steps?.count ?? starts.count))"
                )
            }
            var begin = [Int](repeating: 0, count: x.rank)
            var step = [Int](repeating: 1, count: x.rank)
            var shape = x.shape
            var seen = Set<Int>()
            for (i, axisValue) in axisList.enumerated() {
                let axis = try Shape.normalizeAxis(axisValue, rank: x.rank, "axes value")
                guard seen.insert(axis).inserted else { throw ONNXError.invalidInput("axes repeat axis \(axisValue)") }
                let size = x.shape[axis]
                let s = steps?[i] ?? 1
                guard s != 0 else { throw ONNXError.invalidInput("steps must not be 0") }
                var start = starts[i] < 0 ? starts[i] + size : starts[i]
                var end = ends[i] < 0 ? ends[i] + size : ends[i]
                // Clamp as the ONNX spec says: [0, size] for positive steps, [-1, size-1] for negative.
                if s > 0 {
                    start = min(max(start, 0), size)
                    end = min(max(end, 0), size)
                } else {
                    start = min(max(start, -1), size - 1)
                    end = min(max(end, -1), size - 1)
                }
                let count = s > 0 ? max(0, (end - start + s - 1) / s) : max(0, (start - end + (-s) - 1) / (-s))
                begin[axis] = start
                step[axis] = s
                shape[axis] = count
            }
            let strides = Shape.strides(x.shape)
            let startOffset = zip(begin, strides).reduce(0) { $0 + $1.0 * $1.1 }
            let indices = Shape.mapIndices(shape, zip(step, strides).map { $0 * $1 }, start: startOffset)
            return [Tensor(shape: shape, storage: x.storage.gathered(indices))]
        }
    }
}

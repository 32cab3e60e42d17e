/// Softmax and LogSoftmax, with the axis semantics of each opset.
enum SoftmaxOperators {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition.buffered("Softmax", inputs: 1...1, make: { try make($0, log: false) }),
        OperatorDefinition.buffered("LogSoftmax", inputs: 1...1, make: { try make($0, log: true) }),
    ]

    static func make(_ context: NodeContext, log: Bool) throws -> BufferedKernel {
        // Before opset 13 the input is coerced to 2-D at `axis` (default 1); from 13 it is one axis (default -1).
        let coerce = context.opset < 13
        let axisAttribute = try context.int("axis", default: coerce ? 1 : -1)
        return { inputs, _, buffers in
            let x = try inputs.required(0)
            let axis = try Shape.normalizeAxis(axisAttribute, rank: x.rank)
            let outer = Tensor.product(Array(x.shape.prefix(axis)))
            let size: Int, inner: Int
            if coerce {
                size = Tensor.product(Array(x.shape.dropFirst(axis)))
                inner = 1
            } else {
                size = x.rank == 0 ? 1 : x.shape[axis]
                inner = Tensor.product(Array(x.shape.dropFirst(axis + 1)))
            }
            struct Apply: FloatVisitor {
                var x: Tensor, outer: Int, size: Int, inner: Int, log: Bool, buffers: BufferPool
                func visit<T: FloatElement>(_: T.Type) throws -> Tensor {
                    var v = buffers.mapped(x.values(T.self)) { $0 }
                    softmax(&v, outer: outer, size: size, inner: inner, log: log)
                    return Tensor(shape: x.shape, values: v)
                }
            }
            guard
                let y = try x.elementType.dispatchFloat(
                    Apply(x: x, outer: outer, size: size, inner: inner, log: log, buffers: buffers))
            else {
                throw typeError(0, x, expected: "tensor(float) or tensor(double)")
            }
            return [y]
        }
    }
}

/// In-place (log-)softmax over the middle dimension of a [outer, size, inner] layout.
func softmax<T: FloatElement>(_ v: inout [T], outer: Int, size: Int, inner: Int, log: Bool) {
    guard size > 0 else { return }
    v.withUnsafeMutableBufferPointer { p in
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * size * inner + i
                var maximum = -T.infinity
                for s in 0..<size { maximum = Swift.max(maximum, p[base + s * inner]) }
                var sum: T = 0
                for s in 0..<size {
                    let e = T.exponential(p[base + s * inner] - maximum)
                    if !log { p[base + s * inner] = e }
                    sum += e
                }
                if log {
                    let logSum = T.logarithm(sum)
                    for s in 0..<size { p[base + s * inner] = p[base + s * inner] - maximum - logSum }
                } else {
                    for s in 0..<size { p[base + s * inner] /= sum }
                }
            }
        }
    }
}

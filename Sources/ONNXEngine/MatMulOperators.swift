/// Matrix products: MatMul (numpy semantics, batched with broadcasting) and Gemm.
enum MatMulOperators {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition.buffered(
            "MatMul", inputs: 2...2,
            make: { _ in
                { inputs, limits, buffers in [try matMul(inputs.required(0), inputs.required(1), limits, buffers)] }
            }),
        OperatorDefinition.buffered("Gemm", inputs: 2...3, make: gemm),
    ]

    static func matMul(_ a: Tensor, _ b: Tensor, _ limits: ONNXLimits, _ buffers: BufferPool) throws -> Tensor {
        guard a.elementType == b.elementType else { throw typeError(1, b, expected: "\(a.elementType) like input 0") }
        guard a.rank >= 1, b.rank >= 1 else {
            throw ONNXError.invalidInput("MatMul inputs must have rank >= 1, got \(a.shape) and \(b.shape)")
        }
        let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
        let k2 = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
        guard k == k2 else {
            throw ONNXError.invalidInput(
                "input 0 of shape \(a.shape) and input 1 of shape \(b.shape) disagree on the inner dimension (\(k) vs \(k2))")
        }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batch = Shape.broadcast([aBatch, bBatch]) else {
            throw ONNXError.invalidInput("batch dimensions \(aBatch) and \(bBatch) are not broadcastable")
        }
        var outShape = batch + [m, n]
        _ = try limits.elementCount(outShape, "the output")
        // Plain matrices (the usual case) need no batch broadcasting.
        let plain = aBatch.isEmpty && bBatch.isEmpty
        let aOffsets = plain ? [0] : Shape.broadcastIndices(from: aBatch, to: batch).map { $0 * m * k }
        let bOffsets = plain ? [0] : Shape.broadcastIndices(from: bBatch, to: batch).map { $0 * k * n }
        if a.rank == 1 { outShape.remove(at: outShape.count - 2) }
        if b.rank == 1 { outShape.removeLast() }

        struct Product: NumericVisitor {
            var a: Tensor, b: Tensor, m: Int, k: Int, n: Int, aOffsets: [Int], bOffsets: [Int], shape: [Int], buffers: BufferPool
            func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
                let x = a.values(T.self), y = b.values(T.self)
                let batches = aOffsets.count
                var out = buffers.zeros(T.self, count: batches * m * n)
                out.withUnsafeMutableBufferPointer { buffer in
                    guard !x.isEmpty, !y.isEmpty, buffer.count > 0 else { return }
                    x.withUnsafeBufferPointer { xs in
                        y.withUnsafeBufferPointer { ys in
                            for batch in 0..<batches {
                                multiply(
                                    xs.baseAddress! + aOffsets[batch], ys.baseAddress! + bOffsets[batch],
                                    buffer.baseAddress! + batch * m * n, m: m, k: k, n: n, lda: k, transA: false, ldb: n,
                                    transB: false)
                            }
                        }
                    }
                }
                return Tensor(shape: shape, values: out)
            }
        }
        guard
            let result = try a.elementType.dispatchNumeric(
                Product(a: a, b: b, m: m, k: k, n: n, aOffsets: aOffsets, bOffsets: bOffsets, shape: outShape, buffers: buffers))
        else { throw typeError(0, a, expected: "a numeric type") }
        return result
    }

    static func gemm(_ context: NodeContext) throws -> BufferedKernel {
        let alpha = Double(try context.float("alpha", default: 1))
        let beta = Double(try context.float("beta", default: 1))
        let transA = try context.int("transA", default: 0) != 0
        let transB = try context.int("transB", default: 0) != 0
        return { inputs, limits, buffers in
            let a = try inputs.required(0), b = try inputs.required(1)
            let c = inputs.optional(2)
            guard a.rank == 2, b.rank == 2 else {
                throw ONNXError.invalidInput("Gemm needs 2-D inputs, got \(a.shape) and \(b.shape)")
            }
            guard a.elementType == b.elementType else { throw typeError(1, b, expected: "\(a.elementType) like input 0") }
            let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
            let k2 = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1]
            guard k == k2 else {
                throw ONNXError.invalidInput(
                    "input 0 \(a.shape) (transA=\(transA)) and input 1 \(b.shape) (transB=\(transB)) disagree on the inner dimension (\(k) vs \(k2))"
                )
            }
            _ = try limits.elementCount([m, n], "the output")
            var cIndex: [Int]? = nil
            if let c {
                guard c.elementType == a.elementType else { throw typeError(2, c, expected: "\(a.elementType) like input 0") }
                guard let s = Shape.broadcast([c.shape, [m, n]]), s == [m, n] else {
                    throw ONNXError.invalidInput(
                        "input 2 of shape \(c.shape) does not broadcast to the output shape [\(m), \(n)]")
                }
                cIndex = Shape.broadcastIndices(from: c.shape, to: [m, n])
            }
            struct Compute: NumericVisitor {
                var a: Tensor, b: Tensor, c: Tensor?, cIndex: [Int]?, m: Int, k: Int, n: Int
                var transA: Bool, transB: Bool, alpha: Double, beta: Double, buffers: BufferPool
                func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
                    let x = a.values(T.self), y = b.values(T.self)
                    var out = buffers.zeros(T.self, count: m * n)
                    if m * n > 0 && k > 0 {
                        x.withUnsafeBufferPointer { xs in
                            y.withUnsafeBufferPointer { ys in
                                out.withUnsafeMutableBufferPointer { o in
                                    multiply(
                                        xs.baseAddress!, ys.baseAddress!, o.baseAddress!, m: m, k: k, n: n,
                                        lda: a.shape[1], transA: transA, ldb: b.shape[1], transB: transB)
                                }
                            }
                        }
                    }
                    if alpha != 1 {
                        let s = T(converting: alpha)
                        for i in out.indices { out[i] = T.multiply(out[i], s) }
                    }
                    if let c, let cIndex, beta != 0 {
                        let cv = c.values(T.self)
                        let s = T(converting: beta)
                        if beta == 1 {
                            for i in out.indices { out[i] = T.add(out[i], cv[cIndex[i]]) }
                        } else {
                            for i in out.indices { out[i] = T.add(out[i], T.multiply(cv[cIndex[i]], s)) }
                        }
                    }
                    return Tensor(shape: [m, n], values: out)
                }
            }
            let compute = Compute(
                a: a, b: b, c: c, cIndex: cIndex, m: m, k: k, n: n, transA: transA, transB: transB, alpha: alpha, beta: beta,
                buffers: buffers)
            guard let result = try a.elementType.dispatchNumeric(compute) else {
                throw typeError(0, a, expected: "a numeric type")
            }
            return [result]
        }
    }
}

/// out[m×n] += op(A)[m×k] · op(B)[k×n], with row-major leading dimensions `lda`, `ldb`.
/// The i-k-j loop order keeps the innermost loop contiguous in B and out, so it vectorises.
@inline(__always)
func multiply<T: NumericElement>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
    m: Int, k: Int, n: Int, lda: Int, transA: Bool, ldb: Int, transB: Bool
) {
    if transB {
        // B is stored n×k: each output is a dot product of two contiguous rows.
        for i in 0..<m {
            for j in 0..<n {
                var sum = T.zero
                let bRow = b + j * ldb
                if transA {
                    for p in 0..<k { sum = T.add(sum, T.multiply(a[p * lda + i], bRow[p])) }
                } else {
                    let aRow = a + i * lda
                    for p in 0..<k { sum = T.add(sum, T.multiply(aRow[p], bRow[p])) }
                }
                out[i * n + j] = T.add(out[i * n + j], sum)
            }
        }
        return
    }
    for i in 0..<m {
        let row = out + i * n
        for p in 0..<k {
            let factor = transA ? a[p * lda + i] : a[i * lda + p]
            let bRow = b + p * ldb
            for j in 0..<n { row[j] = T.add(row[j], T.multiply(factor, bRow[j])) }
        }
    }
}

/// The checked attributes of an SVMClassifier node and its computation.
///
/// With support vectors (libsvm, one-vs-one) each class pair gets a decision value; a row's label
/// is the class with most pairwise votes. Without them (liblinear) each class gets a linear score.
struct SVMClassifierModel: Sendable {
    var labels: ClassLabels
    var classes: Int
    var kernel: SVMKernelFunction
    /// Support vectors per class and the index where each class's vectors start; empty when linear.
    var vectorsPerClass: [Int]
    var starts: [Int]
    var vectorCount: Int
    var features: Int
    /// The support vectors (libsvm) or the per-class weight rows (liblinear), row-major.
    var vectors: [Float]
    /// libsvm: [classes − 1, vectorCount] dual coefficients.
    var coefficients: [Float]
    var rho: [Float]
    var probA: [Float]
    var probB: [Float]
    var transform: PostTransform
    var allCoefficientsPositive: Bool

    var isLinear: Bool { vectorCount == 0 }
    var pairCount: Int { classes * (classes - 1) / 2 }
    var hasProbabilities: Bool { !probA.isEmpty }

    /// Score columns per row: class scores or probabilities, else one per pair (two for a binary model).
    var scoreColumns: Int { isLinear || hasProbabilities ? classes : (classes > 2 ? pairCount : 2) }

    init(_ context: NodeContext) throws {
        labels = try ClassLabels(context, ints: "classlabels_ints", strings: "classlabels_strings")
        classes = labels.count
        vectorsPerClass = try context.ints("vectors_per_class") ?? []
        let supportVectors = try context.floats("support_vectors") ?? []
        coefficients = try context.floats("coefficients") ?? []
        rho = try context.floats("rho") ?? []
        probA = try context.floats("prob_a") ?? []
        probB = try context.floats("prob_b") ?? []
        transform = try PostTransform(context)
        guard probA.count == probB.count else {
            throw ONNXError.invalidModel("prob_a has \(probA.count) values and prob_b \(probB.count); they must match")
        }
        guard !coefficients.isEmpty else { throw ONNXError.invalidModel("attribute 'coefficients' is empty") }
        guard vectorsPerClass.allSatisfy({ $0 >= 0 }) else {
            throw ONNXError.invalidModel("vectors_per_class has a negative count")
        }
        var starts: [Int] = []
        var total = 0
        for count in vectorsPerClass {
            starts.append(total)
            total += count
        }
        self.starts = starts
        vectorCount = total
        allCoefficientsPositive = coefficients.allSatisfy { $0 >= 0 }

        if vectorCount > 0 {
            kernel = try SVMKernelFunction(context)
            guard vectorsPerClass.count == classes, classes >= 2 else {
                throw ONNXError.invalidModel("vectors_per_class has \(vectorsPerClass.count) entries for \(classes) class labels")
            }
            features = supportVectors.count / vectorCount
            guard features > 0, supportVectors.count == features * vectorCount else {
                throw ONNXError.invalidModel(
                    "\(supportVectors.count) support vector values do not divide into \(vectorCount) vectors")
            }
            vectors = supportVectors
            let pairs = classes * (classes - 1) / 2
            guard coefficients.count >= (classes - 1) * vectorCount else {
                throw ONNXError.invalidModel("\(coefficients.count) coefficients, expected \(classes - 1) × \(vectorCount)")
            }
            guard rho.count >= pairs else { throw ONNXError.invalidModel("rho has \(rho.count) values for \(pairs) class pairs") }
            guard probA.isEmpty || probA.count >= pairs else {
                throw ONNXError.invalidModel("prob_a has \(probA.count) values for \(pairs) class pairs")
            }
        } else {
            kernel = .linear
            features = coefficients.count / classes
            guard features > 0, coefficients.count == features * classes else {
                throw ONNXError.invalidModel("\(coefficients.count) coefficients do not divide into \(classes) classes")
            }
            vectors = coefficients
            guard rho.count >= 1 else { throw ONNXError.invalidModel("attribute 'rho' needs one value") }
        }
    }

    /// The label and score outputs for `rows` rows of `features` values.
    func classify(_ x: [Float], rows: Int) throws -> [Tensor] {
        var winners = [Int](repeating: 0, count: rows)
        var scores = isLinear ? linearScores(x, rows: rows, winners: &winners) : pairwiseScores(x, rows: rows, winners: &winners)
        // A binary libsvm model's two columns (from one decision value) get their transform above.
        let expandedBinary = classes == 2 && !isLinear && !hasProbabilities
        if transform != .none && scoreColumns >= 2 && !expandedBinary {
            var wide = scores.map(Double.init)
            try transform.apply(&wide, rows: rows, columns: scoreColumns)
            scores = wide.map(Float.init)
        }
        return [labels.tensor(winners), Tensor(shape: [rows, scoreColumns], floats: scores)]
    }

    /// liblinear: one score per class, x·w + rho[0]; the label is the top class, except that a binary
    /// model picks the second label on a positive top score as onnxruntime does.
    private func linearScores(_ x: [Float], rows: Int, winners: inout [Int]) -> [Float] {
        var scores = [Float](repeating: 0, count: rows * classes)
        x.withUnsafeBufferPointer { xs in
            vectors.withUnsafeBufferPointer { ws in
                scores.withUnsafeMutableBufferPointer { out in
                    guard rows > 0 else { return }
                    kernel.evaluate(
                        xs.baseAddress!, rows: rows, features: features, vectors: ws.baseAddress!, count: classes,
                        offset: rho[0], into: out.baseAddress!)
                }
            }
        }
        for r in 0..<rows {
            var best = 0
            for c in 1..<max(classes, 1) where scores[r * classes + c] > scores[r * classes + best] { best = c }
            let top = scores[r * classes + best]
            if classes == 2 && !hasProbabilities && (allCoefficientsPositive ? top >= 0.5 : top > 0) { best = 1 }
            winners[r] = best
        }
        return scores
    }

    /// libsvm: kernel values against every support vector, one decision value per class pair, votes.
    private func pairwiseScores(_ x: [Float], rows: Int, winners: inout [Int]) -> [Float] {
        let pairs = pairCount, columns = scoreColumns
        var scores = [Float](repeating: 0, count: rows * columns)
        var decisions = [Float](repeating: 0, count: pairs)
        var kernelValues = [Float](repeating: 0, count: vectorCount)
        var votes = [Int](repeating: 0, count: classes)
        var coupling = [Float](repeating: 0, count: hasProbabilities ? 2 * classes * classes + 2 * classes : 0)
        x.withUnsafeBufferPointer { xs in
            vectors.withUnsafeBufferPointer { vs in
                coefficients.withUnsafeBufferPointer { cs in
                    for r in 0..<rows {
                        kernelValues.withUnsafeMutableBufferPointer { k in
                            kernel.evaluate(
                                xs.baseAddress! + r * features, rows: 1, features: features,
                                vectors: vs.baseAddress!, count: vectorCount, into: k.baseAddress!)
                        }
                        for c in 0..<classes { votes[c] = 0 }
                        var index = 0
                        for i in 0..<(classes - 1) {
                            for j in (i + 1)..<classes {
                                // Products in float summed in double, as onnxruntime does.
                                var sum = 0.0
                                let iRow = (j - 1) * vectorCount, jRow = i * vectorCount
                                for m in starts[i]..<(starts[i] + vectorsPerClass[i]) {
                                    sum += Double(cs[iRow + m] * kernelValues[m])
                                }
                                for m in starts[j]..<(starts[j] + vectorsPerClass[j]) {
                                    sum += Double(cs[jRow + m] * kernelValues[m])
                                }
                                sum += Double(rho[index])
                                decisions[index] = Float(sum)
                                votes[sum > 0 ? i : j] += 1
                                index += 1
                            }
                        }
                        var best = 0
                        for c in 1..<classes where votes[c] > votes[best] { best = c }
                        winners[r] = best
                        let out = r * columns
                        if hasProbabilities {
                            decisions.withUnsafeBufferPointer { d in
                                coupling.withUnsafeMutableBufferPointer { s in
                                    let base = s.baseAddress!, k = classes
                                    SVMProbability.couple(
                                        d.baseAddress!, probA: probA, probB: probB, classes: k,
                                        pairs: base, q: base + k * k, qp: base + 2 * k * k,
                                        into: base + 2 * k * k + k)
                                    for c in 0..<k { scores[out + c] = base[2 * k * k + k + c] }
                                }
                            }
                        } else if classes == 2 {
                            // One decision value becomes two columns as onnxruntime writes them: [−s, s] with
                            // no transform, [1 − σ(s), σ(s)] under LOGISTIC, [1 − s, s] under the others.
                            let s = decisions[0]
                            switch transform {
                            case .none: (scores[out], scores[out + 1]) = (-s, s)
                            case .logistic:
                                let p = SVMProbability.logisticFloat(s)
                                (scores[out], scores[out + 1]) = (1 - p, p)
                            default: (scores[out], scores[out + 1]) = (1 - s, s)
                            }
                        } else {
                            for p in 0..<pairs { scores[out + p] = decisions[p] }
                        }
                    }
                }
            }
        }
        return scores
    }
}

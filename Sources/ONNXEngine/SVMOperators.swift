/// ai.onnx.ml SVMClassifier and SVMRegressor, following onnxruntime's choices where the ONNX
/// specification leaves them open (score columns, binary labels, probabilities).
enum SVMOperators {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition("SVMClassifier", domain: mlDomain, inputs: 1...1, outputs: 1...2, make: classifier),
        OperatorDefinition("SVMRegressor", domain: mlDomain, inputs: 1...1, make: regressor),
    ]

    static func classifier(_ context: NodeContext) throws -> Kernel {
        let model = try SVMClassifierModel(context)
        return { inputs, limits in
            let x = try inputs.required(0)
            let (rows, columns) = try rowsAndColumns(x)
            guard columns == model.features else {
                throw ONNXError.invalidInput("input has \(columns) features, the model has \(model.features)")
            }
            _ = try limits.elementCount([rows, max(model.scoreColumns, model.vectorCount)], "the output")
            return try model.classify(svmInput(x), rows: rows)
        }
    }

    static func regressor(_ context: NodeContext) throws -> Kernel {
        let supportCount = try context.int("n_supports", default: 0)
        let supportVectors = try context.floats("support_vectors") ?? []
        let coefficients = try context.floats("coefficients") ?? []
        let rho = try context.floats("rho") ?? []
        let oneClass = try context.int("one_class", default: 0) != 0
        let transform = try PostTransform(context)
        guard transform == .none else {
            throw ONNXError.unsupported("post_transform \(transform) is not supported for SVMRegressor")
        }
        if let targets = try context.int("n_targets"), targets != 1 {
            throw ONNXError.unsupported("n_targets \(targets) is not supported for SVMRegressor (one target)")
        }
        guard !coefficients.isEmpty else { throw ONNXError.invalidModel("attribute 'coefficients' is empty") }
        guard rho.count >= 1 else { throw ONNXError.invalidModel("attribute 'rho' needs one value") }
        guard supportCount >= 0 else { throw ONNXError.invalidModel("n_supports \(supportCount) is negative") }
        // With support vectors: Σ coefficient·K(x, vector) + rho; without: a linear model x·coefficients + rho.
        let kernel = supportCount > 0 ? try SVMKernelFunction(context) : .linear
        let vectors = supportCount > 0 ? supportVectors : coefficients
        let vectorCount = max(supportCount, 1)
        let features = vectors.count / vectorCount
        guard vectors.count == features * vectorCount, features > 0 else {
            throw ONNXError.invalidModel(
                "\(supportVectors.count) support vector values do not divide into \(supportCount) vectors")
        }
        guard supportCount == 0 || coefficients.count >= supportCount else {
            throw ONNXError.invalidModel("\(coefficients.count) coefficients for \(supportCount) support vectors")
        }
        let bias = rho[0]
        return { inputs, limits in
            let x = try inputs.required(0)
            let (rows, columns) = try rowsAndColumns(x)
            guard columns == features else {
                throw ONNXError.invalidInput("input has \(columns) features, the model has \(features)")
            }
            _ = try limits.elementCount([rows, vectorCount], "the kernel values")
            let values = try svmInput(x)
            var out = [Float](repeating: 0, count: rows)
            values.withUnsafeBufferPointer { xs in
                vectors.withUnsafeBufferPointer { vs in
                    out.withUnsafeMutableBufferPointer { o in
                        guard rows > 0 else { return }
                        if supportCount == 0 {
                            kernel.evaluate(
                                xs.baseAddress!, rows: rows, features: features, vectors: vs.baseAddress!, count: 1,
                                offset: bias, into: o.baseAddress!)
                            return
                        }
                        var kernelValues = [Float](repeating: 0, count: supportCount)
                        kernelValues.withUnsafeMutableBufferPointer { k in
                            coefficients.withUnsafeBufferPointer { c in
                                for r in 0..<rows {
                                    kernel.evaluate(
                                        xs.baseAddress! + r * features, rows: 1, features: features,
                                        vectors: vs.baseAddress!, count: supportCount, into: k.baseAddress!)
                                    o[r] = dot(k.baseAddress!, c.baseAddress!, supportCount) + bias
                                }
                            }
                        }
                    }
                }
            }
            if oneClass { for i in out.indices { out[i] = out[i] > 0 ? 1 : -1 } }
            return [Tensor(shape: [rows, 1], floats: out)]
        }
    }
}

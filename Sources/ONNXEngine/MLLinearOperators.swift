/// ai.onnx.ml operators of scikit-learn's linear models and transformers: Scaler, Normalizer,
/// LinearRegressor, LinearClassifier, Binarizer, Imputer, ArrayFeatureExtractor, and ZipMap (refused).
enum MLLinearOperators {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition("Scaler", domain: mlDomain, inputs: 1...1, make: scaler),
        OperatorDefinition("Normalizer", domain: mlDomain, inputs: 1...1, make: normalizer),
        OperatorDefinition("LinearRegressor", domain: mlDomain, inputs: 1...1, make: linearRegressor),
        OperatorDefinition("LinearClassifier", domain: mlDomain, inputs: 1...1, outputs: 1...2, make: linearClassifier),
        OperatorDefinition("Binarizer", domain: mlDomain, inputs: 1...1, make: binarizer),
        OperatorDefinition("Imputer", domain: mlDomain, inputs: 1...1, make: imputer),
        OperatorDefinition("ArrayFeatureExtractor", domain: mlDomain, inputs: 2...2) { _ in
            { inputs, limits in [try arrayFeatureExtractor(inputs.required(0), inputs.required(1), limits)] }
        },
        OperatorDefinition("ZipMap", domain: mlDomain, inputs: 1...1) { _ in
            throw ONNXError.unsupported(
                "ZipMap outputs a sequence of maps, which the engine does not support; export the classifier with "
                    + "skl2onnx option zipmap=False (options={id(model): {\"zipmap\": False}}) to get a probabilities tensor")
        },
    ]

    static func scaler(_ context: NodeContext) throws -> Kernel {
        let offset = try context.floats("offset") ?? [0]
        let scale = try context.floats("scale") ?? [1]
        return { inputs, _ in
            let x = try inputs.required(0)
            let (rows, columns) = try rowsAndColumns(x)
            for (name, values) in [("offset", offset), ("scale", scale)] where values.count != 1 && values.count != columns {
                throw ONNXError.invalidInput("attribute '\(name)' has \(values.count) values, input has \(columns) columns")
            }
            let v = try numericValues(x)
            var out = [Float](repeating: 0, count: v.count)
            for r in 0..<rows {
                for c in 0..<columns {
                    let o = offset.count == 1 ? offset[0] : offset[c], s = scale.count == 1 ? scale[0] : scale[c]
                    out[r * columns + c] = (Float(v[r * columns + c]) - o) * s
                }
            }
            return [Tensor(shape: x.shape, floats: out)]
        }
    }

    static func normalizer(_ context: NodeContext) throws -> Kernel {
        let norm = try context.string("norm", default: "MAX")
        guard ["MAX", "L1", "L2"].contains(norm) else {
            throw ONNXError.unsupported("norm '\(norm)' is not supported (MAX, L1, L2)")
        }
        return { inputs, _ in
            let x = try inputs.required(0)
            let (rows, columns) = try rowsAndColumns(x)
            let v = try numericValues(x)
            var out = [Float](repeating: 0, count: v.count)
            for r in 0..<rows {
                let row = v[(r * columns)..<((r + 1) * columns)]
                let divisor: Double
                switch norm {
                case "MAX": divisor = row.max() ?? 1
                case "L1": divisor = row.reduce(0) { $0 + abs($1) }
                default: divisor = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                }
                for c in 0..<columns {
                    out[r * columns + c] =
                        divisor == 0 ? Float(row[row.startIndex + c]) : Float(row[row.startIndex + c] / divisor)
                }
            }
            return [Tensor(shape: x.shape, floats: out)]
        }
    }

    static func linearRegressor(_ context: NodeContext) throws -> Kernel {
        let coefficients = (try context.floats("coefficients") ?? []).map(Double.init)
        let intercepts = (try context.floats("intercepts") ?? []).map(Double.init)
        let targets = try context.int("targets", default: 1)
        let transform = try PostTransform(context)
        guard targets >= 1, coefficients.count % targets == 0, intercepts.isEmpty || intercepts.count == targets else {
            throw ONNXError.invalidModel(
                "coefficients (\(coefficients.count)) and intercepts (\(intercepts.count)) do not fit \(targets) targets")
        }
        guard transform == .none else {
            throw ONNXError.unsupported("post_transform \(transform) is not supported for LinearRegressor")
        }
        return { inputs, limits in
            let (rows, scores) = try linearScores(
                inputs.required(0), coefficients: coefficients, intercepts: intercepts, classes: targets,
                outputColumns: targets, limits: limits)
            return [Tensor(shape: [rows, targets], floats: scores.map(Float.init))]
        }
    }

    static func linearClassifier(_ context: NodeContext) throws -> Kernel {
        let coefficients = (try context.floats("coefficients") ?? []).map(Double.init)
        let intercepts = (try context.floats("intercepts") ?? []).map(Double.init)
        let labels = try ClassLabels(context, ints: "classlabels_ints", strings: "classlabels_strings")
        let transform = try PostTransform(context)
        let classes = intercepts.isEmpty ? labels.count : intercepts.count
        guard classes >= 1, coefficients.count % classes == 0, intercepts.isEmpty || intercepts.count == classes else {
            throw ONNXError.invalidModel(
                "coefficients (\(coefficients.count)) and intercepts (\(intercepts.count)) do not fit \(classes) classes")
        }
        guard classes == labels.count || (classes == 1 && labels.count == 2) else {
            throw ONNXError.invalidModel("\(classes) score columns but \(labels.count) class labels")
        }
        return { inputs, limits in
            let linear = try linearScores(
                inputs.required(0), coefficients: coefficients, intercepts: intercepts, classes: classes,
                outputColumns: max(classes, 2), limits: limits)
            let rows = linear.rows
            var scores = linear.scores
            if classes == 1 {
                // One score column for two labels: the sign picks the label; scores become [-s, s] (or their logistic).
                var label: [Int] = []
                var pairs: [Double] = []
                for s in scores {
                    label.append(s > 0 ? 1 : 0)
                    pairs += transform == .logistic ? [logistic(-s), logistic(s)] : [-s, s]
                }
                if transform != .none && transform != .logistic {
                    throw ONNXError.unsupported("post_transform \(transform) with a single score column is not supported")
                }
                return [labels.tensor(label), Tensor(shape: [rows, 2], floats: pairs.map(Float.init))]
            }
            let winners = argmaxRows(scores, rows: rows, columns: classes)
            try transform.apply(&scores, rows: rows, columns: classes)
            return [labels.tensor(winners), Tensor(shape: [rows, classes], floats: scores.map(Float.init))]
        }
    }

    static func binarizer(_ context: NodeContext) throws -> Kernel {
        let threshold = Double(try context.float("threshold", default: 0))
        return { inputs, _ in
            let x = try inputs.required(0)
            struct Apply: NumericVisitor {
                var x: Tensor, threshold: Double
                func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
                    Tensor(
                        shape: x.shape, values: x.values(T.self).map { $0.doubleValue > threshold ? T(converting: 1) : T.zero })
                }
            }
            guard let y = try x.elementType.dispatchNumeric(Apply(x: x, threshold: threshold)) else {
                throw typeError(0, x, expected: "a numeric type")
            }
            return [y]
        }
    }

    static func imputer(_ context: NodeContext) throws -> Kernel {
        let floatValues = try context.floats("imputed_value_floats")
        let intValues = try context.int64s("imputed_value_int64s")
        let replacedFloat = try context.float("replaced_value_float", default: 0)
        let replacedInt = Int64(try context.int("replaced_value_int64", default: 0))
        guard (floatValues?.isEmpty == false) != (intValues?.isEmpty == false) else {
            throw ONNXError.invalidModel("exactly one of 'imputed_value_floats' and 'imputed_value_int64s' must be given")
        }
        return { inputs, _ in
            let x = try inputs.required(0)
            let (_, columns) = try rowsAndColumns(x)
            func value<T>(_ values: [T], _ i: Int) throws -> T {
                guard values.count == 1 || values.count == columns else {
                    throw ONNXError.invalidInput("\(values.count) imputed values for \(columns) columns")
                }
                return values.count == 1 ? values[0] : values[i % columns]
            }
            switch x.storage {
            case .float32(let v):
                guard let floatValues else { throw typeError(0, x, expected: "tensor(int64) for imputed_value_int64s") }
                let out = try v.indices.map { i in
                    (v[i] == replacedFloat || (replacedFloat.isNaN && v[i].isNaN)) ? try value(floatValues, i) : v[i]
                }
                return [Tensor(shape: x.shape, floats: out)]
            case .float64(let v):
                guard let floatValues else { throw typeError(0, x, expected: "tensor(int64) for imputed_value_int64s") }
                let replaced = Double(replacedFloat)
                let out = try v.indices.map { i in
                    (v[i] == replaced || (replaced.isNaN && v[i].isNaN)) ? Double(try value(floatValues, i)) : v[i]
                }
                return [Tensor(shape: x.shape, doubles: out)]
            case .int64(let v):
                guard let intValues else { throw typeError(0, x, expected: "a float type for imputed_value_floats") }
                return [
                    Tensor(shape: x.shape, int64s: try v.indices.map { v[$0] == replacedInt ? try value(intValues, $0) : v[$0] })
                ]
            default:
                throw typeError(0, x, expected: "tensor(float), tensor(double) or tensor(int64)")
            }
        }
    }

    static func arrayFeatureExtractor(_ x: Tensor, _ indexTensor: Tensor, _ limits: ONNXLimits) throws -> Tensor {
        guard let indices = indexTensor.intValues() else { throw typeError(1, indexTensor, expected: "tensor(int64)") }
        guard x.rank >= 1 else { throw ONNXError.invalidInput("input 0 must have rank >= 1") }
        let columns = x.shape[x.rank - 1]
        for i in indices where i < 0 || i >= columns {
            throw ONNXError.invalidInput("index \(i) is out of range for the last dimension of size \(columns)")
        }
        let rows = columns == 0 ? 0 : x.count / columns
        var shape = x.shape
        shape[shape.count - 1] = indices.count
        if x.rank == 1 { shape = [1, indices.count] }
        _ = try limits.elementCount(shape, "the output")
        var map: [Int] = []
        map.reserveCapacity(rows * indices.count)
        for r in 0..<rows { for i in indices { map.append(r * columns + i) } }
        return Tensor(shape: shape, storage: x.storage.gathered(map))
    }
}

/// The rows and columns of a 1-D (one row) or 2-D input of an ai.onnx.ml operator.
func rowsAndColumns(_ x: Tensor) throws -> (Int, Int) {
    switch x.rank {
    case 1: return (1, x.shape[0])
    case 2: return (x.shape[0], x.shape[1])
    default: throw ONNXError.invalidInput("input 0 has shape \(x.shape); a [rows, features] or [features] tensor is expected")
    }
}

/// The elements of a numeric input as Double.
func numericValues(_ x: Tensor) throws -> [Double] {
    guard x.elementType != .string, x.elementType != .bool, let v = x.doubleValues() else {
        throw typeError(0, x, expected: "tensor(float), tensor(double), tensor(int64) or tensor(int32)")
    }
    return v
}

/// Row-major [rows, classes] scores `x · coefficientsᵀ + intercepts` of the [rows, features] input,
/// once its features are known to fit the coefficients and `outputColumns` outputs a row to be
/// within the limits.
func linearScores(
    _ input: Tensor, coefficients: [Double], intercepts: [Double], classes: Int, outputColumns: Int, limits: ONNXLimits
) throws -> (rows: Int, scores: [Double]) {
    let (rows, columns) = try rowsAndColumns(input)
    guard coefficients.count == classes * columns else {
        throw ONNXError.invalidInput("input has \(columns) features, the model has \(coefficients.count / classes)")
    }
    _ = try limits.elementCount([rows, outputColumns], "the output")
    let x = try numericValues(input)
    var scores = [Double](repeating: 0, count: rows * classes)
    for r in 0..<rows {
        for c in 0..<classes {
            var sum = intercepts.isEmpty ? 0 : intercepts[c]
            for f in 0..<columns { sum += x[r * columns + f] * coefficients[c * columns + f] }
            scores[r * classes + c] = sum
        }
    }
    return (rows, scores)
}

/// The column of the first largest score of each row.
func argmaxRows(_ scores: [Double], rows: Int, columns: Int) -> [Int] {
    (0..<rows).map { r in
        var best = 0
        for c in 1..<max(columns, 1) where scores[r * columns + c] > scores[r * columns + best] { best = c }
        return best
    }
}

/// The logistic function 1 / (1 + e^-x).
func logistic(_ x: Double) -> Double { sigmoid(x) }

/// In-place softmax of each row of a row-major [rows, columns] matrix.
func softmaxRows(_ scores: inout [Double], rows: Int, columns: Int) {
    softmax(&scores, outer: rows, size: columns, inner: 1, log: false)
}

/// The `post_transform` attribute of the ai.onnx.ml predictors.
enum PostTransform: String, Sendable, CustomStringConvertible {
    case none = "NONE", softmax = "SOFTMAX", logistic = "LOGISTIC", softmaxZero = "SOFTMAX_ZERO", probit = "PROBIT"

    init(_ context: NodeContext) throws {
        let name = try context.string("post_transform", default: "NONE")
        guard let value = PostTransform(rawValue: name) else { throw ONNXError.invalidModel("unknown post_transform '\(name)'") }
        guard value != .probit else { throw ONNXError.unsupported("post_transform PROBIT is not supported") }
        self = value
    }

    var description: String { rawValue }

    /// Applies the transform to each row of a row-major [rows, columns] score matrix.
    func apply(_ scores: inout [Double], rows: Int, columns: Int) throws {
        switch self {
        case .none: return
        case .logistic: for i in scores.indices { scores[i] = sigmoid(scores[i]) }
        case .softmax: softmaxRows(&scores, rows: rows, columns: columns)
        case .softmaxZero:
            for r in 0..<rows {
                let row = (r * columns)..<((r + 1) * columns)
                let maximum = scores[row].max() ?? 0
                var sum = 0.0
                for i in row where scores[i] != 0 { scores[i] = Double.exponential(scores[i] - maximum); sum += scores[i] }
                for i in row where scores[i] != 0 { scores[i] /= sum }
            }
        case .probit: throw ONNXError.unsupported("post_transform PROBIT is not supported")
        }
    }
}

/// Class labels of a classifier: int64 or string.
enum ClassLabels: Sendable {
    case ints([Int64])
    case strings([String])

    init(_ context: NodeContext, ints: String, strings: String) throws {
        if let v = try context.int64s(ints), !v.isEmpty {
            self = .ints(v)
        } else if let v = try context.strings(strings), !v.isEmpty {
            self = .strings(v)
        } else {
            throw ONNXError.invalidModel("one of '\(ints)' and '\(strings)' is required")
        }
    }

    var count: Int {
        switch self {
        case .ints(let v): v.count
        case .strings(let v): v.count
        }
    }

    /// A [rows] tensor of the labels at `indices`.
    func tensor(_ indices: [Int]) -> Tensor {
        switch self {
        case .ints(let v): Tensor(shape: [indices.count], int64s: indices.map { v[$0] })
        case .strings(let v): Tensor(shape: [indices.count], strings: indices.map { v[$0] })
        }
    }
}

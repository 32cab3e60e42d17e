/// Per-column affine scaling in scikit-learn's order of operations (so float64 results match
/// bit for bit): subtract, divide, multiply, add, then clip. Missing values (NaN) stay missing.
struct AffineStep: CompiledStep {
    struct Column: Sendable {
        var subtract: Double?
        var divide: Double?
        var multiply: Double?
        var add: Double?
        var clip: ClosedRange<Double>?
    }

    let columns: [Column]

    static func compile(
        _ context: Context, subtract: [Double]?, subtractField: String, divide: [Double]?, divideField: String
    ) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.requireNumbers()
        if let subtract { try context.requireWidth(subtract.count, field: subtractField) }
        if let divide {
            try context.requireWidth(divide.count, field: divideField)
            if let zero = divide.firstIndex(of: 0) { throw context.error("\(divideField)[\(zero)] is 0") }
        }
        let columns = (0..<context.schema.count).map {
            Column(subtract: subtract?[$0], divide: divide?[$0])
        }
        return StepCompiler.Compiled(step: AffineStep(columns: columns), schema: context.schema.map(unnamed))
    }

    static func compileMinMax(
        _ context: Context, scale: [Double], min: [Double], range: ClosedRange<Double>, clip: Bool
    ) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.requireNumbers()
        try context.requireWidth(scale.count, field: "scale")
        try context.requireWidth(min.count, field: "min")
        let columns = (0..<context.schema.count).map {
            Column(multiply: scale[$0], add: min[$0], clip: clip ? range : nil)
        }
        return StepCompiler.Compiled(step: AffineStep(columns: columns), schema: context.schema.map(unnamed))
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        for (index, column) in columns.enumerated() {
            var values = batch.takeNumbers(index)
            values.withUnsafeMutableBufferPointer { buffer in
                for row in buffer.indices {
                    var x = buffer[row]
                    if let subtract = column.subtract { x -= subtract }
                    if let divide = column.divide { x /= divide }
                    if let multiply = column.multiply { x *= multiply }
                    if let add = column.add { x += add }
                    if let clip = column.clip, !x.isNaN { x = Swift.min(Swift.max(x, clip.lowerBound), clip.upperBound) }
                    buffer[row] = x
                }
            }
            batch.columns[index] = .numbers(values)
        }
    }
}

/// The same column, no longer addressable by its raw name (scikit-learn passes arrays on).
func unnamed(_ column: ColumnInfo) -> ColumnInfo {
    ColumnInfo(kind: column.kind, label: column.label, name: nil)
}

/// Elementwise maps that keep the column count: binarizer, numpy functions, clip.
struct ElementwiseStep: CompiledStep {
    enum Operation: Sendable {
        case binarize(Double)
        case function(ElementFunction)
        case clip(Double, Double)
    }

    let operation: Operation
    let labels: [String]

    static func compile(_ context: Context, operation: Operation) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.requireNumbers()
        return StepCompiler.Compiled(
            step: ElementwiseStep(operation: operation, labels: context.schema.map(\.label)),
            schema: context.schema.map(unnamed))
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        for index in 0..<batch.columns.count {
            var values = batch.takeNumbers(index)
            switch operation {
            case .binarize(let threshold):
                // scikit-learn's Binarizer refuses NaN.
                if let row = values.firstIndex(where: \.isNaN) {
                    throw PipelineInputError(
                        row: row, column: labels[index], reason: "binarizer cannot take a missing value (NaN)")
                }
                for row in values.indices { values[row] = values[row] > threshold ? 1 : 0 }
            case .function(let function):
                for row in values.indices { values[row] = function.apply(values[row]) }
            case .clip(let low, let high):
                for row in values.indices where !values[row].isNaN {
                    values[row] = Swift.min(Swift.max(values[row], low), high)
                }
            }
            batch.columns[index] = .numbers(values)
        }
    }
}

extension ElementFunction {
    /// The numpy ufunc of the same name on one float64.
    func apply(_ x: Double) -> Double {
        switch self {
        case .identity: x
        case .log1p: libm_log1p(x)
        case .expm1: libm_expm1(x)
        case .log: libm_log(x)
        case .exp: libm_exp(x)
        case .sqrt: x.squareRoot()
        case .abs: Swift.abs(x)
        case .square: x * x
        case .reciprocal: 1 / x
        }
    }
}

/// Each row divided by its L1, L2 or max norm; a zero norm leaves the row as it is.
struct NormalizerStep: CompiledStep {
    let norm: Step.Norm
    let labels: [String]

    static func compile(_ context: Context, norm: Step.Norm) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.requireNumbers()
        return StepCompiler.Compiled(
            step: NormalizerStep(norm: norm, labels: context.schema.map(\.label)), schema: context.schema.map(unnamed))
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        var norms = [Double](repeating: 0, count: batch.rows)
        for index in 0..<batch.columns.count {
            let values = batch.numbers(index)
            if let row = values.firstIndex(where: { !$0.isFinite }) {
                throw PipelineInputError(
                    row: row, column: labels[index], reason: "normalizer needs finite values, got \(values[row])")
            }
            for row in 0..<batch.rows {
                let x = values[row]
                switch norm {
                case .l1: norms[row] += Swift.abs(x)
                case .l2: norms[row] += x * x
                case .max: norms[row] = Swift.max(norms[row], Swift.abs(x))
                }
            }
        }
        for row in 0..<batch.rows {
            if norm == .l2 { norms[row] = norms[row].squareRoot() }
            if norms[row] == 0 { norms[row] = 1 }
        }
        for index in 0..<batch.columns.count {
            var values = batch.takeNumbers(index)
            for row in 0..<batch.rows { values[row] /= norms[row] }
            batch.columns[index] = .numbers(values)
        }
    }
}

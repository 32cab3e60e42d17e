/// Turns each step of a spec into a `CompiledStep`, checking it against the columns it will
/// receive; errors name the file, the step and the field.
struct StepCompiler {
    let file: String

    struct Compiled {
        var step: any CompiledStep
        var schema: [ColumnInfo]
    }

    func compile(_ step: Step, schema: [ColumnInfo], at index: String) throws(PipelineSpecError) -> Compiled {
        let context = Context(
            file: file, path: "\(index)\(step.name.map { " '\($0)'" } ?? "") (\(step.typeName))", schema: schema)
        switch step.kind {
        case .standardScaler(let mean, let scale):
            return try AffineStep.compile(context, subtract: mean, subtractField: "mean", divide: scale, divideField: "scale")
        case .robustScaler(let center, let scale):
            return try AffineStep.compile(context, subtract: center, subtractField: "center", divide: scale, divideField: "scale")
        case .maxAbsScaler(let scale):
            return try AffineStep.compile(context, subtract: nil, subtractField: "", divide: scale, divideField: "scale")
        case .minMaxScaler(let scale, let min, let range, let clip):
            return try AffineStep.compileMinMax(context, scale: scale, min: min, range: range, clip: clip)
        case .normalizer(let norm):
            return try NormalizerStep.compile(context, norm: norm)
        case .simpleImputer(_, let statistics, let indicators):
            return try ImputerStep.compile(context, statistics: statistics, indicators: indicators)
        case .oneHotEncoder(let handleUnknown, let features):
            return try OneHotStep.compile(context, handleUnknown: handleUnknown, features: features)
        case .ordinalEncoder(let categories, let unknownValue, let missingValue):
            return try OrdinalStep.compile(
                context, categories: categories, unknownValue: unknownValue, missingValue: missingValue)
        case .binarizer(let threshold):
            return try ElementwiseStep.compile(context, operation: .binarize(threshold))
        case .function(let function):
            return try ElementwiseStep.compile(context, operation: .function(function))
        case .clip(let min, let max):
            return try ElementwiseStep.compile(context, operation: .clip(min ?? -.infinity, max ?? .infinity))
        case .kBinsDiscretizer(let edges, let oneHot):
            return try KBinsStep.compile(context, edges: edges, oneHot: oneHot)
        case .polynomialFeatures(let degree, let interactionOnly, let includeBias):
            return try PolynomialStep.compile(context, degree: degree, interactionOnly: interactionOnly, includeBias: includeBias)
        case .featureHasher(let features, let alternateSign):
            return try FeatureHasherStep.compile(context, features: features, alternateSign: alternateSign)
        case .columnTransformer(let transformers, let remainder):
            return try ColumnTransformerStep.compile(
                context, compiler: self, transformers: transformers, remainderPassthrough: remainder)
        }
    }
}

/// What a step's compile function gets: where it is (for errors) and the columns it receives.
struct Context {
    let file: String
    let path: String
    let schema: [ColumnInfo]

    func error(_ message: String) -> PipelineSpecError {
        PipelineSpecError("\(file): \(path): \(message)")
    }

    /// Fails unless every column is numeric.
    func requireNumbers() throws(PipelineSpecError) {
        try refuseIgnored()
        if let text = schema.first(where: { $0.kind == .text }) {
            throw error("needs numbers, but column '\(text.label)' is text (encode it first)")
        }
    }

    /// Fails when a column is an input of type any.
    func refuseIgnored() throws(PipelineSpecError) {
        if let ignored = schema.first(where: { $0.kind == .ignored }) {
            throw error("reads column '\(ignored.label)', whose type is any (declare its type)")
        }
    }

    /// Fails unless `values` has one entry per column.
    func requireWidth(_ count: Int, field: String) throws(PipelineSpecError) {
        guard count == schema.count else {
            throw error("\(field) has \(count) values, but the step receives \(schema.count) columns (\(labels))")
        }
    }

    var labels: String { schema.map(\.label).joined(separator: ", ") }

    /// Columns produced by this step, no longer addressable by raw name.
    func derived(_ label: String) -> ColumnInfo {
        ColumnInfo(kind: .numeric, label: label, name: nil)
    }
}

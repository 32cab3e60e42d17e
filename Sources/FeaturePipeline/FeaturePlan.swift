/// A pipeline spec compiled for execution: each step is checked against the columns it receives
/// (count, numbers or text, names) when the spec loads, so running it only meets bad values.
public struct FeaturePlan: Sendable {
    public let spec: PipelineSpec
    /// The number of output features (the output's second dimension).
    public let featureCount: Int
    private let steps: [any CompiledStep]

    /// Compiles `spec`; `file` names it in errors.
    public init(compiling spec: PipelineSpec, file: String) throws(PipelineSpecError) {
        let compiler = StepCompiler(file: file)
        var schema = spec.inputs.map {
            ColumnInfo(kind: $0.type == .string ? .text : $0.type == .any ? .ignored : .numeric, label: $0.name, name: $0.name)
        }
        var steps: [any CompiledStep] = []
        for (index, step) in spec.steps.enumerated() {
            let compiled = try compiler.compile(step, schema: schema, at: "steps[\(index)]")
            steps.append(compiled.step)
            schema = compiled.schema
        }
        if let ignored = schema.first(where: { $0.kind == .ignored }) {
            throw PipelineSpecError("\(file): the output still holds column '\(ignored.label)' of type any; drop it")
        }
        if let text = schema.first(where: { $0.kind == .text }) {
            throw PipelineSpecError(
                "\(file): the output still holds text column '\(text.label)'; encode it (one_hot_encoder, "
                    + "ordinal_encoder, feature_hasher) or drop it")
        }
        guard !schema.isEmpty else { throw PipelineSpecError("\(file): the steps leave no output columns") }
        self.spec = spec
        self.featureCount = schema.count
        self.steps = steps
    }

    /// Parses and compiles a spec file's text.
    public init(yaml: String, file: String) throws(PipelineSpecError) {
        try self.init(compiling: try PipelineSpec(yaml: yaml, file: file), file: file)
    }

    /// Runs the steps on `batch`, whose columns are the spec's inputs in order, and returns the
    /// features column by column.
    public func transform(_ batch: ColumnBatch) throws(PipelineInputError) -> ColumnBatch {
        try InputCheck(inputs: spec.inputs).check(batch)
        var current = batch
        for step in steps {
            try step.apply(&current)
        }
        return current
    }

    /// Runs the steps and lays the features out row by row: `[rows, featureCount]`.
    public func transformRowMajor<Element: BinaryFloatingPoint>(
        _ batch: ColumnBatch, as type: Element.Type = Element.self
    ) throws(PipelineInputError) -> [Element] {
        let features = try transform(batch)
        let width = features.columns.count
        let rows = features.rows
        return [Element](unsafeUninitializedCapacity: rows * width) { buffer, initialized in
            for (column, data) in features.columns.enumerated() {
                guard case .numbers(let values) = data else { continue }  // compile leaves numbers only
                for row in 0..<rows {
                    buffer[row * width + column] = Element(values[row])
                }
            }
            initialized = rows * width
        }
    }
}

/// What the compiler knows about a column between steps.
struct ColumnInfo: Sendable, Hashable {
    /// `ignored`: an input of type any, which no step may read.
    enum Kind: Sendable, Hashable { case numeric, text, ignored }
    var kind: Kind
    /// How errors name the column: its raw name, or where it came from.
    var label: String
    /// The raw column name while columns are still addressable by name.
    var name: String?
}

/// A step ready to run on a batch whose columns match what it was compiled for.
protocol CompiledStep: Sendable {
    /// Replaces `batch`'s columns with the step's output columns.
    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError)
}

extension ColumnBatch {
    /// Moves a numeric column out (leaving an empty one), so the caller owns its only reference
    /// and can change it in place.
    @inline(__always)
    mutating func takeNumbers(_ index: Int) -> [Double] {
        let values = numbers(index)
        columns[index] = .numbers([])
        return values
    }

    /// The numbers of a column the compiler proved numeric.
    @inline(__always)
    func numbers(_ index: Int) -> [Double] {
        guard case .numbers(let values) = columns[index] else {
            preconditionFailure("column \(index) is text, but the plan compiled it as numbers")
        }
        return values
    }

    /// The text of a column the compiler proved to be text.
    @inline(__always)
    func text(_ index: Int) -> TextColumn {
        guard case .text(let column) = columns[index] else {
            preconditionFailure("column \(index) is numbers, but the plan compiled it as text")
        }
        return column
    }
}

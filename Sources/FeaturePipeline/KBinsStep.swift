/// scikit-learn's KBinsDiscretizer: a value's bin is the number of inner edges at or below it
/// (`searchsorted(edges[1:-1], x, side="right")`), given as the bin number or one-hot.
struct KBinsStep: CompiledStep {
    let innerEdges: [[Double]]
    let oneHot: Bool
    let labels: [String]

    static func compile(_ context: Context, edges: [[Double]], oneHot: Bool) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.requireNumbers()
        try context.requireWidth(edges.count, field: "bin_edges")
        var schema: [ColumnInfo] = []
        for (column, columnEdges) in zip(context.schema, edges) {
            if oneHot {
                schema += (0..<(columnEdges.count - 1)).map { context.derived("\(column.label) bin \($0)") }
            } else {
                schema.append(unnamed(column))
            }
        }
        let inner = edges.map { Array($0.dropFirst().dropLast()) }
        return StepCompiler.Compiled(
            step: KBinsStep(innerEdges: inner, oneHot: oneHot, labels: context.schema.map(\.label)), schema: schema)
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        var output: [ColumnData] = []
        for (index, edges) in innerEdges.enumerated() {
            var values = batch.takeNumbers(index)
            var oneHotColumns =
                oneHot ? [[Double]](repeating: [Double](repeating: 0, count: batch.rows), count: edges.count + 1) : []
            for row in values.indices {
                let x = values[row]
                guard x.isFinite else {
                    throw PipelineInputError(
                        row: row, column: labels[index], reason: "kbins_discretizer needs a finite value, got \(x)")
                }
                // Binary search for the first edge above x.
                var low = 0
                var high = edges.count
                while low < high {
                    let middle = (low + high) / 2
                    if edges[middle] <= x { low = middle + 1 } else { high = middle }
                }
                if oneHot { oneHotColumns[low][row] = 1 } else { values[row] = Double(low) }
            }
            if oneHot { output += oneHotColumns.map { .numbers($0) } } else { output.append(.numbers(values)) }
        }
        batch.columns = output
    }
}

/// scikit-learn's PolynomialFeatures: the bias, then each degree's products of columns in
/// `combinations_with_replacement` order (`combinations` when interaction_only).
struct PolynomialStep: CompiledStep {
    /// The input columns multiplied for each output column (empty: the bias).
    let terms: [[Int]]
    let labels: [String]

    /// Output columns above this are refused: degree 3 of a wide input explodes.
    static let maxOutputColumns = 100_000

    static func compile(
        _ context: Context, degree: Int, interactionOnly: Bool, includeBias: Bool
    ) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.requireNumbers()
        let width = context.schema.count
        var terms: [[Int]] = includeBias ? [[]] : []
        var previous: [[Int]] = [[]]
        for _ in 1...degree {
            var next: [[Int]] = []
            for term in previous {
                let start = term.last.map { interactionOnly ? $0 + 1 : $0 } ?? 0
                guard start < width else { continue }
                for column in start..<width { next.append(term + [column]) }
                guard terms.count + next.count <= maxOutputColumns else {
                    throw context.error("would produce more than \(maxOutputColumns) columns")
                }
            }
            terms += next
            previous = next
        }
        let labels = context.schema.map(\.label)
        let schema = terms.map { term in
            context.derived(term.isEmpty ? "1" : term.map { labels[$0] }.joined(separator: "*"))
        }
        return StepCompiler.Compiled(step: PolynomialStep(terms: terms, labels: labels), schema: schema)
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        for (index, label) in labels.enumerated() {
            if let row = batch.numbers(index).firstIndex(where: { !$0.isFinite }) {
                throw PipelineInputError(row: row, column: label, reason: "polynomial_features needs finite values")
            }
        }
        let inputs = (0..<labels.count).map { batch.numbers($0) }
        batch.columns = terms.map { term in
            guard let first = term.first else { return .numbers([Double](repeating: 1, count: batch.rows)) }
            var values = inputs[first]
            for column in term.dropFirst() {
                let factor = inputs[column]
                for row in values.indices { values[row] *= factor[row] }
            }
            return .numbers(values)
        }
    }
}

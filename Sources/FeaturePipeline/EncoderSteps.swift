extension CategoryIndex {
    /// The category position of every row of `column`, -1 where the value is unknown.
    func positions(of column: ColumnData) -> [Int] {
        switch column {
        case .numbers(let values):
            return values.map { position(of: $0) ?? -1 }
        case .text(let text):
            return text.bytes.withUnsafeBufferPointer { bytes in
                (0..<text.count).map { row in
                    if text.missing[row] { return missingPosition ?? -1 }
                    return position(of: UnsafeBufferPointer(rebasing: bytes[text.range(of: row)])) ?? -1
                }
            }
        }
    }
}

/// Checks that an encoder's categories are of the column's kind (missing fits both).
func checkCategoryKinds(
    _ categories: [CategoryValue], column: ColumnInfo, field: String, _ context: Context
) throws(PipelineSpecError) {
    for category in categories {
        switch (category, column.kind) {
        case (_, .ignored):
            throw context.error("reads column '\(column.label)', whose type is any (declare its type)")
        case (.missing, _), (.text, .text), (.number, .numeric): continue
        case (.text, .numeric):
            throw context.error("\(field) has text \(category), but column '\(column.label)' holds numbers")
        case (.number, .text):
            throw context.error("\(field) has the number \(category), but column '\(column.label)' is text")
        }
    }
}

/// The value of `column` at `row` as an error message shows it.
func describeValue(_ column: ColumnData, row: Int) -> String {
    switch column {
    case .numbers(let values): return values[row].isNaN ? "missing value" : "\(values[row])"
    case .text(let text): return text.string(at: row).map { "'\($0)'" } ?? "missing value"
    }
}

func knownList(_ categories: [CategoryValue]) -> String {
    let shown = categories.prefix(10).map(\.description).joined(separator: ", ")
    return categories.count > 10 ? "\(shown), … (\(categories.count) in all)" : shown
}

/// scikit-learn's OneHotEncoder (dense output), with dropped columns, infrequent categories
/// grouped into one last column, and the three ways of handling unknown categories.
struct OneHotStep: CompiledStep {
    struct Feature: Sendable {
        var index: CategoryIndex
        var categories: [CategoryValue]
        /// Output column (within the feature) of each category position; -1 when dropped.
        var outputOf: [Int]
        /// Output column of an unknown value; -1 for all zeros; nil when unknown is an error.
        var unknownOutput: Int?
        var width: Int
        var label: String
    }

    let features: [Feature]

    static func compile(
        _ context: Context, handleUnknown: Step.UnknownCategory, features specs: [Step.OneHotFeature]
    ) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.requireWidth(specs.count, field: "features")
        var features: [Feature] = []
        var schema: [ColumnInfo] = []
        for (position, (spec, column)) in zip(specs, context.schema).enumerated() {
            try checkCategoryKinds(spec.categories, column: column, field: "features[\(position)].categories", context)
            let infrequent = Set(spec.infrequent)
            let frequent = spec.categories.filter { !infrequent.contains($0) }
            let infrequentColumn = infrequent.isEmpty ? nil : frequent.count
            var names = frequent.map(\.description) + (infrequent.isEmpty ? [] : ["infrequent"])
            var dropped: Int?
            if let drop = spec.drop {
                dropped = infrequent.contains(drop) ? infrequentColumn : frequent.firstIndex(of: drop)
            }
            func adjusted(_ output: Int?) -> Int {
                guard let output else { return -1 }
                guard let dropped else { return output }
                return output == dropped ? -1 : (output > dropped ? output - 1 : output)
            }
            let outputOf = spec.categories.map { category in
                adjusted(infrequent.contains(category) ? infrequentColumn : frequent.firstIndex(of: category))
            }
            let unknown: Int? =
                switch handleUnknown {
                case .error: nil
                case .ignore: -1
                case .infrequentIfExist: adjusted(infrequentColumn)
                }
            if let dropped { names.remove(at: dropped) }
            features.append(
                Feature(
                    index: CategoryIndex(spec.categories), categories: spec.categories, outputOf: outputOf,
                    unknownOutput: unknown, width: names.count, label: column.label))
            schema += names.map { context.derived("\(column.label)=\($0)") }
        }
        return StepCompiler.Compiled(step: OneHotStep(features: features), schema: schema)
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        var output: [ColumnData] = []
        output.reserveCapacity(features.reduce(0) { $0 + $1.width })
        for (index, feature) in features.enumerated() {
            let positions = feature.index.positions(of: batch.columns[index])
            var columns = [[Double]](repeating: [Double](repeating: 0, count: batch.rows), count: feature.width)
            for (row, position) in positions.enumerated() {
                let target: Int
                if position >= 0 {
                    target = feature.outputOf[position]
                } else if let unknown = feature.unknownOutput {
                    target = unknown
                } else {
                    throw PipelineInputError(
                        row: row, column: feature.label,
                        reason: "unknown category \(describeValue(batch.columns[index], row: row)) (handle_unknown is error; "
                            + "known: \(knownList(feature.categories)))")
                }
                if target >= 0 { columns[target][row] = 1 }
            }
            output += columns.map { .numbers($0) }
        }
        batch.columns = output
    }
}

/// scikit-learn's OrdinalEncoder: each value becomes its category's position.
struct OrdinalStep: CompiledStep {
    struct Feature: Sendable {
        var index: CategoryIndex
        var categories: [CategoryValue]
        var label: String
    }

    let features: [Feature]
    /// nil when an unknown value is an error.
    let unknownValue: Double?
    let missingValue: Double

    static func compile(
        _ context: Context, categories: [[CategoryValue]], unknownValue: Double?, missingValue: Double
    ) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.requireWidth(categories.count, field: "categories")
        var features: [Feature] = []
        for (position, (values, column)) in zip(categories, context.schema).enumerated() {
            try checkCategoryKinds(values, column: column, field: "categories[\(position)]", context)
            features.append(Feature(index: CategoryIndex(values), categories: values, label: column.label))
        }
        return StepCompiler.Compiled(
            step: OrdinalStep(features: features, unknownValue: unknownValue, missingValue: missingValue),
            schema: context.schema.map { ColumnInfo(kind: .numeric, label: $0.label, name: nil) })
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        for (index, feature) in features.enumerated() {
            let positions = feature.index.positions(of: batch.columns[index])
            var values = [Double](repeating: 0, count: batch.rows)
            for (row, position) in positions.enumerated() {
                if position >= 0 {
                    values[row] = position == feature.index.missingPosition ? missingValue : Double(position)
                } else if let unknownValue {
                    values[row] = unknownValue
                } else {
                    throw PipelineInputError(
                        row: row, column: feature.label,
                        reason: "unknown category \(describeValue(batch.columns[index], row: row)) (handle_unknown is error; "
                            + "known: \(knownList(feature.categories)))")
                }
            }
            batch.columns[index] = .numbers(values)
        }
    }
}

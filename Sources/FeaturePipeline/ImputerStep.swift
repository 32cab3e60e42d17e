/// scikit-learn's SimpleImputer: missing values replaced by the fitted statistic of their
/// column; columns without a statistic (empty at fit) dropped; optional 0/1 missing indicators
/// appended after the imputed columns.
struct ImputerStep: CompiledStep {
    /// Per input column: its fill value, or nil when the column is dropped.
    let fills: [CategoryValue?]
    let indicators: [Int]

    static func compile(
        _ context: Context, statistics: [CategoryValue?], indicators: [Int]
    ) throws(PipelineSpecError) -> StepCompiler.Compiled {
        try context.refuseIgnored()
        try context.requireWidth(statistics.count, field: "statistics")
        var schema: [ColumnInfo] = []
        for (index, (statistic, column)) in zip(statistics, context.schema).enumerated() {
            switch (statistic, column.kind) {
            case (nil, _): continue
            case (.number?, .numeric), (.text?, .text): schema.append(unnamed(column))
            case (.text(let text)?, .numeric):
                throw context.error("statistics[\(index)] is text '\(text)', but column '\(column.label)' holds numbers")
            case (.number(let number)?, .text):
                throw context.error("statistics[\(index)] is the number \(number), but column '\(column.label)' is text")
            case (_, .ignored), (.missing?, _):
                continue  // the parser turns null into nil
            }
        }
        for index in indicators {
            guard index < context.schema.count else {
                throw context.error("indicator_features has \(index), but the step receives \(context.schema.count) columns")
            }
            schema.append(context.derived("missing(\(context.schema[index].label))"))
        }
        return StepCompiler.Compiled(step: ImputerStep(fills: statistics, indicators: indicators), schema: schema)
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        var indicatorColumns: [ColumnData] = []
        for index in indicators {
            switch batch.columns[index] {
            case .numbers(let values): indicatorColumns.append(.numbers(values.map { $0.isNaN ? 1 : 0 }))
            case .text(let text): indicatorColumns.append(.numbers(text.missing.map { $0 ? 1 : 0 }))
            }
        }
        var output: [ColumnData] = []
        output.reserveCapacity(fills.count + indicators.count)
        for (index, fill) in fills.enumerated() {
            switch fill {
            case nil, .missing?: continue
            case .number(let value)?:
                var values = batch.takeNumbers(index)
                for row in values.indices where values[row].isNaN { values[row] = value }
                output.append(.numbers(values))
            case .text(let value)?:
                let text = batch.text(index)
                guard text.missing.contains(true) else {
                    output.append(.text(text))
                    continue
                }
                var filled = TextColumn(reservingRows: batch.rows, bytes: text.bytes.count + value.utf8.count * batch.rows)
                for row in 0..<batch.rows {
                    if text.missing[row] { filled.append(value.utf8) } else { filled.append(text.bytes[text.range(of: row)]) }
                }
                output.append(.text(filled))
            }
        }
        batch.columns = output + indicatorColumns
    }
}

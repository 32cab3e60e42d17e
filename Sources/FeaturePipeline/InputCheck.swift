/// Checks raw values against the declared input columns before any step runs: no missing value
/// in a non-nullable column, whole numbers in int columns, 0 or 1 in bool columns.
struct InputCheck {
    let inputs: [InputColumn]

    func check(_ batch: ColumnBatch) throws(PipelineInputError) {
        precondition(batch.columns.count == inputs.count, "the batch must hold one column per input")
        for (input, column) in zip(inputs, batch.columns) where input.type != .any {
            precondition(column.count == batch.rows, "every column must hold one value per row")
            switch column {
            case .numbers(let values):
                precondition(input.type != .string, "text input '\(input.name)' must arrive as text")
                for (row, value) in values.enumerated() {
                    if value.isNaN {
                        if !input.nullable { throw missing(row, input) }
                        continue
                    }
                    if input.type == .int && (value.rounded(.towardZero) != value || !value.isFinite) {
                        throw PipelineInputError(
                            row: row, column: input.name, reason: "\(value) is not an integer (the column is int)")
                    }
                    if input.type == .bool && value != 0 && value != 1 {
                        throw PipelineInputError(row: row, column: input.name, reason: "\(value) is not a bool (0 or 1)")
                    }
                }
            case .text(let text):
                precondition(input.type == .string, "numeric input '\(input.name)' must arrive as numbers")
                if !input.nullable, let row = text.missing.firstIndex(of: true) { throw missing(row, input) }
            }
        }
    }

    private func missing(_ row: Int, _ input: InputColumn) -> PipelineInputError {
        PipelineInputError(row: row, column: input.name, reason: "missing value, but the column is not nullable")
    }
}

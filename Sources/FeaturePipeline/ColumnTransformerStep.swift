/// scikit-learn's ColumnTransformer: each transformer runs its steps on the columns it selects
/// (by raw name, or by position), and the outputs are concatenated in order, followed by the
/// unselected columns when the remainder is passthrough. Transformers that drop their columns
/// are simply left out of the spec.
struct ColumnTransformerStep: CompiledStep {
    struct Branch: Sendable {
        var columns: [Int]
        var steps: [any CompiledStep]
    }

    let branches: [Branch]

    static func compile(
        _ context: Context, compiler: StepCompiler, transformers: [Step.Transformer], remainderPassthrough: Bool
    ) throws(PipelineSpecError) -> StepCompiler.Compiled {
        var branches: [Branch] = []
        var schema: [ColumnInfo] = []
        var used = Set<Int>()
        for (position, transformer) in transformers.enumerated() {
            let where_ = "transformers[\(position)] '\(transformer.name)'"
            var columns: [Int] = []
            for reference in transformer.columns {
                switch reference {
                case .index(let index):
                    guard index < context.schema.count else {
                        throw context.error(
                            "\(where_) selects column \(index), but the step receives \(context.schema.count) columns")
                    }
                    columns.append(index)
                case .name(let name):
                    guard let index = context.schema.firstIndex(where: { $0.name == name }) else {
                        let named = context.schema.compactMap(\.name)
                        throw context.error(
                            "\(where_) selects column '\(name)', which is not "
                                + (named.isEmpty
                                    ? "addressable by name here (use positions)" : "one of \(named.joined(separator: ", "))"))
                    }
                    columns.append(index)
                }
            }
            used.formUnion(columns)
            var branchSchema = columns.map { context.schema[$0] }
            var steps: [any CompiledStep] = []
            for (index, step) in transformer.steps.enumerated() {
                let compiled = try compiler.compile(step, schema: branchSchema, at: "\(context.path): \(where_).steps[\(index)]")
                steps.append(compiled.step)
                branchSchema = compiled.schema
            }
            branches.append(Branch(columns: columns, steps: steps))
            schema += branchSchema.map(unnamed)
        }
        if remainderPassthrough {
            let rest = context.schema.indices.filter { !used.contains($0) }
            branches.append(Branch(columns: rest, steps: []))
            schema += rest.map { unnamed(context.schema[$0]) }
        }
        return StepCompiler.Compiled(step: ColumnTransformerStep(branches: branches), schema: schema)
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        var output: [ColumnData] = []
        for branch in branches {
            var part = ColumnBatch(rows: batch.rows, columns: branch.columns.map { batch.columns[$0] })
            for step in branch.steps {
                try step.apply(&part)
            }
            output += part.columns
        }
        batch.columns = output
    }
}

import FeaturePipeline
import FuzzSupport

/// Fuzzes the preprocessor's pipeline spec reader: YAML text → `PipelineSpec` → compiled
/// `FeaturePlan`, read as file `iris-features.yaml` (the example seed's name must match it).
/// Any text must compile or throw a PipelineSpecError naming the fault. A plan that compiles
/// is run on three rows (ordinary, edge and missing values): whatever fitted parameters the
/// spec carries, running may reject values but must not crash.
@main
enum FuzzPipelineSpec {
    static func main() {
        FuzzDriver.run { input in
            let text = String(decoding: input, as: UTF8.self)
            guard let plan = try? FeaturePlan(yaml: text, file: "iris-features.yaml") else { return false }
            let columns = plan.spec.inputs.map { column -> ColumnData in
                switch column.type {
                case .string, .any: .text(TextColumn(["a", "", nil]))
                case .float: .numbers([1.5, -1e308, .nan])
                case .int, .bool: .numbers([1, 0, .nan])
                }
            }
            let batch = ColumnBatch(rows: 3, columns: columns)
            if let features = try? plan.transformRowMajor(batch, as: Double.self) {
                precondition(features.count == 3 * plan.featureCount, "the output is not rows × featureCount")
            }
            return true
        }
    }
}

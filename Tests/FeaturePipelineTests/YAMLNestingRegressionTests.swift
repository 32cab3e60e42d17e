import FeaturePipeline
import Testing

/// Found by FuzzPipelineSpec: Yams composes nested collections by recursion, so 10,000 levels
/// of `[` (20 KB) in a spec overflowed the stack of the preprocessor reloading it.
@Suite struct YAMLNestingRegressionTests {
    private func error(_ yaml: String) -> String? {
        do {
            _ = try FeaturePlan(yaml: yaml, file: "p.yaml")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func deeplyNestedSpecIsRefusedNotCrashed() {
        let deep = "steps: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(error(deep) == "p.yaml: nests deeper than 100 levels (line 1)")
        // Block style nests too: compact sequences, `- - - … x`.
        let blocks = "steps:\n" + String(repeating: "- ", count: 10_000) + "x"
        #expect(error(blocks) == "p.yaml: nests deeper than 100 levels (line 2)")
    }

    @Test func nestingUpToTheLimitIsLeftToTheSchema() {
        // The top-level mapping is one level, so 99 more fit.
        let atLimit = "steps: " + String(repeating: "[", count: 99) + String(repeating: "]", count: 99)
        let message = error(atLimit)
        #expect(message != nil && message?.contains("nests deeper") == false)
    }
}

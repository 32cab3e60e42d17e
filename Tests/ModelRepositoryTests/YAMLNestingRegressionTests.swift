import ModelRepository
import Testing

/// Found by FuzzModelConfig: Yams composes nested collections by recursion, so a config.yaml of
/// 10,000 levels of `{` overflowed the stack of the worker scanning its repository.
@Suite struct YAMLNestingRegressionTests {
    private func error(_ yaml: String) -> String? {
        do {
            _ = try ModelConfig(yaml: yaml, file: "m/config.yaml")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func deeplyNestedConfigIsRefusedNotCrashed() {
        let deep = String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(error(deep) == "m/config.yaml: nests deeper than 100 levels (line 1)")
    }

    @Test func nestingUpToTheLimitIsLeftToTheSchema() {
        let atLimit = "inputs: " + String(repeating: "[", count: 99) + String(repeating: "]", count: 99)
        let message = error(atLimit)
        #expect(message != nil && message?.contains("nests deeper") == false)
    }
}

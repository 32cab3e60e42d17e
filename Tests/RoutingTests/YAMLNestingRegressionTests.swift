import Routing
import Testing

/// Found by FuzzRoutes: Yams composes nested collections by recursion, so 10,000 levels of `[`
/// (20 KB) overflowed the stack; through the admin service that crashed the gateway.
@Suite struct YAMLNestingRegressionTests {
    private func routesError(_ yaml: String) -> RoutesError? {
        do {
            _ = try RoutesConfig(yaml: yaml, file: "routes.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func deeplyNestedRoutesAreRefusedNotCrashed() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let error = try #require(routesError(deep))
        #expect(error.description == "routes.yaml: nests deeper than 100 levels (line 1)")
        let route = String(repeating: "{a: ", count: 5_000) + "1" + String(repeating: "}", count: 5_000)
        #expect(throws: RoutesError.self) { try ModelRoute(yaml: route, name: "m", file: "admin") }
    }

    @Test func nestingUpToTheLimitIsLeftToTheSchema() throws {
        let atLimit = "models: " + String(repeating: "[", count: 99) + String(repeating: "]", count: 99)
        let error = try #require(routesError(atLimit))
        #expect(!error.description.contains("nests deeper"))
        #expect(error.description.contains("models: must be a mapping"))
    }
}

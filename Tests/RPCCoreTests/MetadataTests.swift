import RPCCore
import Testing

@Suite("Metadata")
struct MetadataTests {
    private func pairs(_ metadata: Metadata) -> [String] {
        metadata.map { "\($0.name)=\($0.value)" }
    }

    @Test func namesAreLowerCased() {
        var metadata: Metadata = ["X-Request-ID": "Abc"]
        metadata.add("X-Tenant", "Blue")
        #expect(pairs(metadata) == ["x-request-id=Abc", "x-tenant=Blue"])
        // Values keep their case; lookups ignore the name's case.
        #expect(metadata["x-request-id"] == "Abc")
        #expect(metadata["X-REQUEST-ID"] == "Abc")
        #expect(metadata.values(of: "x-TENANT") == ["Blue"])
    }

    @Test func addKeepsEveryValueInOrder() {
        var metadata = Metadata()
        #expect(metadata.isEmpty)
        metadata.add("a", "1")
        metadata.add("b", "2")
        metadata.add("A", "3")
        #expect(metadata.count == 3)
        #expect(!metadata.isEmpty)
        #expect(metadata.values(of: "a") == ["1", "3"])
        #expect(metadata["a"] == "1", "the subscript returns the first value")
        #expect(pairs(metadata) == ["a=1", "b=2", "a=3"])
    }

    @Test func replaceLeavesOneValue() {
        var metadata: Metadata = ["a": "1", "b": "2"]
        metadata.add("A", "3")
        metadata.replace("A", "4")
        #expect(metadata.values(of: "a") == ["4"])
        #expect(metadata["b"] == "2")
        #expect(metadata.count == 2)
        metadata.replace("new", "5")
        #expect(metadata["new"] == "5")
    }

    @Test func removeDropsEveryValue() {
        var metadata: Metadata = ["a": "1", "b": "2"]
        metadata.add("a", "3")
        metadata.remove("A")
        #expect(metadata["a"] == nil)
        #expect(metadata.values(of: "a") == [])
        #expect(pairs(metadata) == ["b=2"])
        metadata.remove("missing")
        #expect(metadata.count == 1)
    }

    @Test func missingNames() {
        let metadata: Metadata = [:]
        #expect(metadata["x"] == nil)
        #expect(metadata.values(of: "x").isEmpty)
    }

    @Test func equalityFollowsEntriesInOrder() {
        var first = Metadata()
        first.add("A", "1")
        let second: Metadata = ["a": "1"]
        #expect(first == second)
        let reordered: Metadata = ["b": "2", "a": "1"]
        #expect(reordered != ["a": "1", "b": "2"])
    }
}

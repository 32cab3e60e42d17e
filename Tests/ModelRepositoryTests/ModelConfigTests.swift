import ModelRepository
import Testing

@Suite("config.yaml parsing")
struct ModelConfigTests {
    private func parse(_ yaml: String) throws(RepositoryError) -> ModelConfig {
        try ModelConfig(yaml: yaml, file: "m/config.yaml")
    }

    private func error(_ yaml: String) -> String {
        do {
            let config = try parse(yaml)
            Issue.record("expected an error, parsed \(config)")
            return ""
        } catch {
            return error.message
        }
    }

    @Test func emptyFileMeansDefaults() throws {
        #expect(try parse("") == .defaults)
        #expect(try parse("# nothing\n") == .defaults)
        #expect(ModelConfig.defaults.versionPolicy == .latest(1))
        #expect(ModelConfig.defaults.maxBatchSize == 0)
        #expect(ModelConfig.defaults.dynamicBatching == nil)
    }

    @Test func everyPolicy() throws {
        #expect(try parse("version_policy: {latest: 3}").versionPolicy == .latest(3))
        #expect(try parse("version_policy: {all: true}").versionPolicy == .all)
        #expect(try parse("version_policy: {specific: [1, 3]}").versionPolicy == .specific([1, 3]))
        #expect(try parse("version_policy:\n  specific:\n    - 2\n").versionPolicy == .specific([2]))
    }

    @Test func policySelectsVersions() {
        let onDisk = [1, 2, 3, 5]
        #expect(ModelConfig.VersionPolicy.latest(1).select(from: onDisk) == [5])
        #expect(ModelConfig.VersionPolicy.latest(2).select(from: onDisk) == [3, 5])
        #expect(ModelConfig.VersionPolicy.latest(9).select(from: onDisk) == [1, 2, 3, 5])
        #expect(ModelConfig.VersionPolicy.all.select(from: onDisk) == [1, 2, 3, 5])
        #expect(ModelConfig.VersionPolicy.specific([1, 4, 5]).select(from: onDisk) == [1, 5])
    }

    @Test func theDesignDocumentExample() throws {
        let config = try parse(
            """
            version_policy: {latest: 1}          # or {all: true} or {specific: [1, 3]}
            max_batch_size: 64                   # 0 disables batching
            dynamic_batching: {max_queue_delay_microseconds: 200, preferred_batch_sizes: [8, 32]}
            inputs: {X: features}
            outputs: {probabilities: scores, label: class}
            """)
        #expect(config.versionPolicy == .latest(1))
        #expect(config.maxBatchSize == 64)
        #expect(config.dynamicBatching == .init(maxQueueDelayMicroseconds: 200, preferredBatchSizes: [8, 32]))
        #expect(config.inputNames == ["X": "features"])
        #expect(config.outputNames == ["probabilities": "scores", "label": "class"])
    }

    @Test func batchingDefaults() throws {
        let bare = try parse("max_batch_size: 8")
        #expect(bare.maxBatchSize == 8)
        #expect(bare.dynamicBatching == nil)
        #expect(try parse("max_batch_size: 8\ndynamic_batching: {}").dynamicBatching == .init())
        #expect(try parse("max_batch_size: 8\ndynamic_batching:\n").dynamicBatching == .init())
    }

    @Test func unknownKeysNameTheKeyAndTheFile() {
        let top = error("max_batch_size: 4\nmax_batch: 8")
        #expect(top.contains("m/config.yaml") && top.contains("unknown key 'max_batch'"))
        let nested = error("max_batch_size: 4\ndynamic_batching: {max_delay: 3}")
        #expect(nested.contains("unknown key 'max_delay' in dynamic_batching"))
        let policy = error("version_policy: {newest: 2}")
        #expect(policy.contains("unknown key 'newest' in version_policy"))
    }

    @Test func badTypesAndValues() {
        #expect(error("max_batch_size: lots").contains("max_batch_size must be an integer"))
        #expect(error("max_batch_size: -1").contains("max_batch_size must be at least 0"))
        #expect(error("max_batch_size: 2.5").contains("max_batch_size must be an integer"))
        #expect(error("version_policy: {latest: 0}").contains("version_policy.latest must be at least 1"))
        #expect(error("version_policy: {specific: [one]}").contains("version_policy.specific element must be an integer"))
        #expect(error("version_policy: {specific: []}").contains("at least one version"))
        #expect(error("version_policy: {all: yes please}").contains("version_policy.all must be true or false"))
        #expect(error("version_policy: {latest: 1, all: true}").contains("exactly one of"))
        #expect(error("version_policy: latest").contains("version_policy must be a mapping"))
        #expect(error("inputs: [X]").contains("inputs must be a mapping"))
        #expect(error("outputs: {a: x, b: x}").contains("uses the name 'x' twice"))
        #expect(error("- just\n- a list").contains("the top level must be a mapping"))
        #expect(error("max_batch_size: [1").contains("not valid YAML"))
    }

    @Test func batchingConsistency() {
        #expect(
            error("dynamic_batching: {max_queue_delay_microseconds: 100}")
                .contains("dynamic_batching needs max_batch_size greater than 0"))
        #expect(
            error("max_batch_size: 8\ndynamic_batching: {preferred_batch_sizes: [4, 16]}")
                .contains("preferred_batch_sizes has 16, more than max_batch_size 8"))
        #expect(
            error("max_batch_size: 8\ndynamic_batching: {max_queue_delay_microseconds: -5}")
                .contains("must be at least 0"))
    }

    @Test func errorsCarryTheLine() {
        #expect(error("version_policy: {latest: 1}\nmax_batch_size: nope").contains("line 2"))
    }
}

import YAMLLimits
import Yams

/// The settings of one model, read from the optional `DIR/<model>/config.yaml`.
///
/// Every key is optional; an unknown key is an error naming the key and the file:
///
/// ```yaml
/// version_policy: {latest: 1}        # or {all: true} or {specific: [1, 3]}; default latest 1
/// max_batch_size: 64                 # rows per merged batch; 0 (the default) disables batching
/// dynamic_batching:                  # only with max_batch_size > 0
///   max_queue_delay_microseconds: 200  # default 0: merge only what is already queued
///   preferred_batch_sizes: [8, 32]     # a batch of exactly one of these sizes goes at once
/// inputs: {X: features}              # serve graph input X under the name "features"
/// outputs: {probabilities: scores}   # serve graph output "probabilities" as "scores"
/// ```
public struct ModelConfig: Sendable, Hashable {
    /// Which of the version directories on disk are served.
    public enum VersionPolicy: Sendable, Hashable {
        /// The `n` highest versions.
        case latest(Int)
        /// Every version.
        case all
        /// Exactly these versions (those that exist).
        case specific([Int])

        /// The versions of `available` this policy serves, ascending.
        public func select(from available: some Collection<Int>) -> [Int] {
            let sorted = available.sorted()
            switch self {
            case .latest(let count): return Array(sorted.suffix(count))
            case .all: return sorted
            case .specific(let versions):
                let wanted = Set(versions)
                return sorted.filter { wanted.contains($0) }
            }
        }
    }

    /// Dynamic batching settings.
    public struct DynamicBatching: Sendable, Hashable {
        /// How long the first queued request may wait for others to join its batch.
        public var maxQueueDelayMicroseconds: Int
        /// Batch sizes (rows) that are sent as soon as they can be formed.
        public var preferredBatchSizes: [Int]

        public init(maxQueueDelayMicroseconds: Int = 0, preferredBatchSizes: [Int] = []) {
            self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
            self.preferredBatchSizes = preferredBatchSizes
        }
    }

    public var versionPolicy: VersionPolicy
    /// The most rows a merged batch may have; 0 disables batching (each request runs alone and
    /// may have any number of rows).
    public var maxBatchSize: Int
    /// Used only when `maxBatchSize > 0`; batching with no delay when nil.
    public var dynamicBatching: DynamicBatching?
    /// Graph input name → the name callers use.
    public var inputNames: [String: String]
    /// Graph output name → the name callers see.
    public var outputNames: [String: String]

    public init(
        versionPolicy: VersionPolicy = .latest(1), maxBatchSize: Int = 0, dynamicBatching: DynamicBatching? = nil,
        inputNames: [String: String] = [:], outputNames: [String: String] = [:]
    ) {
        self.versionPolicy = versionPolicy
        self.maxBatchSize = maxBatchSize
        self.dynamicBatching = dynamicBatching
        self.inputNames = inputNames
        self.outputNames = outputNames
    }

    /// The configuration of a model without a config.yaml.
    public static let defaults = ModelConfig()

    /// Parses config.yaml text; `file` names the file in error messages.
    public init(yaml: String, file: String) throws(RepositoryError) {
        if let line = YAMLNesting.lineTooDeep(in: yaml) {
            throw RepositoryError("\(file): nests deeper than \(YAMLNesting.maxDepth) levels (line \(line))")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw RepositoryError("\(file): not valid YAML: \(error)")
        }
        self.init()
        guard let root else { return }  // An empty file means all defaults.
        let reader = ConfigReader(file: file)
        let top = try reader.mapping(root, at: "the top level")
        for (key, value) in top {
            switch key {
            case "version_policy": versionPolicy = try reader.versionPolicy(value)
            case "max_batch_size": maxBatchSize = try reader.integer(value, at: key, minimum: 0)
            case "dynamic_batching": dynamicBatching = try reader.dynamicBatching(value)
            case "inputs": inputNames = try reader.names(value, at: key)
            case "outputs": outputNames = try reader.names(value, at: key)
            default:
                throw reader.unknownKey(
                    key, at: "the top level",
                    known: ["version_policy", "max_batch_size", "dynamic_batching", "inputs", "outputs"])
            }
        }
        if dynamicBatching != nil && maxBatchSize == 0 {
            throw RepositoryError("\(file): dynamic_batching needs max_batch_size greater than 0")
        }
        if let sizes = dynamicBatching?.preferredBatchSizes, let too = sizes.first(where: { $0 > maxBatchSize }) {
            throw RepositoryError(
                "\(file): dynamic_batching.preferred_batch_sizes has \(too), more than max_batch_size \(maxBatchSize)")
        }
    }
}

/// Reads typed values out of a YAML node tree with errors naming the file and key.
private struct ConfigReader {
    let file: String

    func mapping(_ node: Node, at path: String) throws(RepositoryError) -> [(String, Node)] {
        guard let mapping = node.mapping else {
            throw RepositoryError("\(file): \(path) must be a mapping\(location(node))")
        }
        var pairs: [(String, Node)] = []
        var seen = Set<String>()
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                throw RepositoryError("\(file): \(path) has a key that is not a string\(location(key))")
            }
            guard seen.insert(name).inserted else {
                throw RepositoryError("\(file): \(path) has key '\(name)' twice\(location(key))")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    func integer(_ node: Node, at path: String, minimum: Int) throws(RepositoryError) -> Int {
        guard node.scalar != nil, let value = node.int else {
            throw RepositoryError("\(file): \(path) must be an integer\(location(node))")
        }
        guard value >= minimum else {
            throw RepositoryError("\(file): \(path) must be at least \(minimum), got \(value)\(location(node))")
        }
        return value
    }

    func integers(_ node: Node, at path: String, minimum: Int) throws(RepositoryError) -> [Int] {
        guard let sequence = node.sequence else {
            throw RepositoryError("\(file): \(path) must be a list of integers\(location(node))")
        }
        var values: [Int] = []
        for element in sequence { values.append(try integer(element, at: "\(path) element", minimum: minimum)) }
        return values
    }

    func versionPolicy(_ node: Node) throws(RepositoryError) -> ModelConfig.VersionPolicy {
        let path = "version_policy"
        let pairs = try mapping(node, at: path)
        guard pairs.count == 1, let (key, value) = pairs.first else {
            throw RepositoryError(
                "\(file): version_policy must have exactly one of latest, all, specific\(location(node))")
        }
        switch key {
        case "latest":
            return .latest(try integer(value, at: "version_policy.latest", minimum: 1))
        case "all":
            guard value.scalar != nil, let all = value.bool else {
                throw RepositoryError("\(file): version_policy.all must be true or false\(location(value))")
            }
            guard all else {
                throw RepositoryError("\(file): version_policy.all: false serves nothing; use latest or specific")
            }
            return .all
        case "specific":
            let versions = try integers(value, at: "version_policy.specific", minimum: 1)
            guard !versions.isEmpty else {
                throw RepositoryError("\(file): version_policy.specific must list at least one version")
            }
            return .specific(versions)
        default:
            throw unknownKey(key, at: path, known: ["latest", "all", "specific"])
        }
    }

    func dynamicBatching(_ node: Node) throws(RepositoryError) -> ModelConfig.DynamicBatching {
        var batching = ModelConfig.DynamicBatching()
        // `dynamic_batching: {}` (or an empty value) turns batching on with the defaults.
        if node.scalar?.string == "" || node.null != nil { return batching }
        for (key, value) in try mapping(node, at: "dynamic_batching") {
            switch key {
            case "max_queue_delay_microseconds":
                batching.maxQueueDelayMicroseconds = try integer(
                    value, at: "dynamic_batching.max_queue_delay_microseconds", minimum: 0)
            case "preferred_batch_sizes":
                batching.preferredBatchSizes = try integers(
                    value, at: "dynamic_batching.preferred_batch_sizes", minimum: 1)
            default:
                throw unknownKey(
                    key, at: "dynamic_batching",
                    known: ["max_queue_delay_microseconds", "preferred_batch_sizes"])
            }
        }
        return batching
    }

    func names(_ node: Node, at path: String) throws(RepositoryError) -> [String: String] {
        var names: [String: String] = [:]
        var served = Set<String>()
        for (graphName, value) in try mapping(node, at: path) {
            guard let scalar = value.scalar, !scalar.string.isEmpty else {
                throw RepositoryError("\(file): \(path).\(graphName) must be a non-empty name\(location(value))")
            }
            guard served.insert(scalar.string).inserted else {
                throw RepositoryError("\(file): \(path) uses the name '\(scalar.string)' twice")
            }
            names[graphName] = scalar.string
        }
        return names
    }

    func unknownKey(_ key: String, at path: String, known: [String]) -> RepositoryError {
        RepositoryError("\(file): unknown key '\(key)' in \(path) (known keys: \(known.joined(separator: ", ")))")
    }

    private func location(_ node: Node) -> String {
        node.mark.map { " (line \($0.line), column \($0.column))" } ?? ""
    }
}

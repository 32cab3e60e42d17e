import Foundation
import YAMLLimits
import Yams

/// A YAML config file read into ordered `key: value` entries, before anything checks the keys.
public struct ConfigFile: Sendable, Hashable {
    /// One value as written in the file.
    public enum Value: Sendable, Hashable {
        /// A scalar, as text (`8001`, `info`, `true`).
        case scalar(String)
        /// A YAML list of scalars.
        case list([String])
        /// `~`, `null` or nothing: the key is as good as absent.
        case null
    }

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: Value
    }

    /// The path the file was read from, for messages.
    public var path: String
    public var entries: [Entry]

    /// Parses `text`; a file that is not a mapping of scalar keys to scalars or lists is refused,
    /// naming the key at fault.
    public init(path: String, text: String) throws(ConfigFileError) {
        self.path = path
        let root: Node?
        if let line = YAMLNesting.lineTooDeep(in: text) {
            throw ConfigFileError(file: path, reason: "nests deeper than \(YAMLNesting.maxDepth) levels (line \(line))")
        }
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigFileError(file: path, reason: "is not valid YAML: \(error)")
        }
        guard let root else {
            entries = []
            return
        }
        guard case .mapping(let mapping) = root else {
            throw ConfigFileError(file: path, reason: "must be a mapping of option names to values")
        }
        var entries: [Entry] = []
        var seen: Set<String> = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw ConfigFileError(file: path, reason: "has a key that is not a plain name")
            }
            let key = keyScalar.string
            guard seen.insert(key).inserted else {
                throw ConfigFileError(file: path, key: key, reason: "appears twice")
            }
            entries.append(Entry(key: key, value: try Self.value(of: valueNode, key: key, path: path)))
        }
        self.entries = entries
    }

    /// Reads and parses the file at `path`.
    public init(contentsOf path: String) throws(ConfigFileError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "\(error.localizedDescription)"
            throw ConfigFileError(file: path, reason: "cannot be read: \(reason)")
        }
        try self.init(path: path, text: text)
    }

    private static func value(of node: Node, key: String, path: String) throws(ConfigFileError) -> Value {
        switch node {
        case .scalar(let scalar):
            return node.null != nil && scalar.style == .plain ? .null : .scalar(scalar.string)
        case .sequence(let sequence):
            var items: [String] = []
            for item in sequence {
                guard case .scalar(let scalar) = item else {
                    throw ConfigFileError(file: path, key: key, reason: "list items must be plain values")
                }
                items.append(scalar.string)
            }
            return .list(items)
        case .mapping:
            throw ConfigFileError(file: path, key: key, reason: "must be a value or a list, not a mapping")
        }
    }
}

import Yams

/// Reads typed values out of a YAML node tree; every error names the key path and line.
struct RoutesReader {
    func error(_ path: String, _ message: String, _ node: Node?) -> RoutesError {
        RoutesError(path: path, message: message, line: node?.mark?.line)
    }

    /// The pairs of a mapping, keys as strings, refusing duplicates; an empty value reads as empty.
    func mapping(_ node: Node, at path: String) throws(RoutesError) -> [(key: String, value: Node)] {
        if node.null != nil { return [] }
        guard let mapping = node.mapping else { throw error(path, "must be a mapping", node) }
        var pairs: [(key: String, value: Node)] = []
        var seen = Set<String>()
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw error(path, "has a key that is not a string", key) }
            guard seen.insert(name).inserted else { throw error(path, "has key \"\(name)\" twice", key) }
            pairs.append((name, value))
        }
        return pairs
    }

    /// Reads a mapping with a fixed set of keys: unknown keys are errors, `required` ones must be there.
    func fields(
        _ node: Node, at path: String, known: [String], required: [String] = []
    ) throws(RoutesError) -> [String: Node] {
        var fields: [String: Node] = [:]
        for (key, value) in try mapping(node, at: path) {
            guard known.contains(key) else {
                throw error(joined(path, key), "unknown key (known keys: \(known.joined(separator: ", ")))", value)
            }
            fields[key] = value
        }
        for key in required where fields[key] == nil {
            throw error(joined(path, key), "is required", node)
        }
        return fields
    }

    func string(_ node: Node, at path: String) throws(RoutesError) -> String {
        guard let scalar = node.scalar, node.null == nil || scalar.style != .plain else {
            throw error(path, "must be a string", node)
        }
        guard !scalar.string.isEmpty else { throw error(path, "must not be empty", node) }
        return scalar.string
    }

    func number(_ node: Node, at path: String) throws(RoutesError) -> Double {
        guard node.scalar != nil, let value = node.int.map(Double.init) ?? node.float, value.isFinite else {
            throw error(path, "must be a number", node)
        }
        return value
    }

    func integer(_ node: Node, at path: String) throws(RoutesError) -> Int {
        guard node.scalar != nil, let value = node.int else { throw error(path, "must be an integer", node) }
        return value
    }

    func bool(_ node: Node, at path: String) throws(RoutesError) -> Bool {
        guard node.scalar != nil, let value = node.bool else { throw error(path, "must be true or false", node) }
        return value
    }

    /// `30s`, `500ms`, `2m`, `1h`, or a number of seconds.
    func duration(_ node: Node, at path: String) throws(RoutesError) -> Duration {
        guard let text = node.scalar?.string, let value = Duration(routesText: text) else {
            throw error(path, "must be a duration such as 30s, 500ms, 2m, 1h or a number of seconds", node)
        }
        return value
    }

    func endpoints(_ node: Node, at path: String) throws(RoutesError) -> [EndpointAddress] {
        guard let sequence = node.sequence else {
            throw error(path, "must be a list of \"host:port\" or \"dns:///name:port\"", node)
        }
        var endpoints: [EndpointAddress] = []
        for (index, element) in sequence.enumerated() {
            let text = try string(element, at: "\(path)[\(index)]")
            do {
                endpoints.append(try EndpointAddress(parsing: text))
            } catch {
                throw self.error("\(path)[\(index)]", error.description, element)
            }
        }
        return endpoints
    }

    func joined(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}

import Yams

/// Reads typed values out of a YAML node tree; every error names the file, the place in the spec
/// (for example `steps[1] 'scaler' (standard_scaler): mean`) and the YAML line.
struct SpecReader {
    let file: String

    func error(_ message: String, at path: String, _ node: Node? = nil) -> PipelineSpecError {
        let location = node?.mark.map { " (line \($0.line), column \($0.column))" } ?? ""
        return PipelineSpecError("\(file): \(path): \(message)\(location)")
    }

    /// The pairs of a mapping, refusing keys outside `known` and repeated keys.
    func mapping(_ node: Node, at path: String, known: [String]) throws(PipelineSpecError) -> [String: Node] {
        guard let mapping = node.mapping else { throw error("must be a mapping", at: path, node) }
        var pairs: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw error("has a key that is not a string", at: path, key) }
            guard known.contains(name) else {
                throw error("unknown key '\(name)' (known keys: \(known.joined(separator: ", ")))", at: path, key)
            }
            guard pairs[name] == nil else { throw error("has key '\(name)' twice", at: path, key) }
            pairs[name] = value
        }
        return pairs
    }

    func required(_ pairs: [String: Node], _ key: String, at path: String, _ parent: Node) throws(PipelineSpecError) -> Node {
        guard let node = pairs[key] else { throw error("missing required key '\(key)'", at: path, parent) }
        return node
    }

    func isNull(_ node: Node) -> Bool {
        node.scalar != nil && node.tagName == .null
    }

    func string(_ node: Node, at path: String) throws(PipelineSpecError) -> String {
        guard let scalar = node.scalar, node.tagName == .str, !scalar.string.isEmpty else {
            throw error("must be a non-empty string", at: path, node)
        }
        return scalar.string
    }

    func bool(_ node: Node, at path: String) throws(PipelineSpecError) -> Bool {
        guard node.tagName == .bool, let value = node.bool else { throw error("must be true or false", at: path, node) }
        return value
    }

    func integer(_ node: Node, at path: String, in range: ClosedRange<Int>) throws(PipelineSpecError) -> Int {
        guard node.tagName == .int, let value = node.int else { throw error("must be an integer", at: path, node) }
        guard range.contains(value) else {
            throw error("must be between \(range.lowerBound) and \(range.upperBound), got \(value)", at: path, node)
        }
        return value
    }

    /// A number; `.nan`, `.inf` and `-.inf` are accepted only when `finite` is false.
    func number(_ node: Node, at path: String, finite: Bool = true) throws(PipelineSpecError) -> Double {
        guard let scalar = node.scalar, node.tagName == .int || node.tagName == .float,
            let value = Self.parseNumber(scalar.string)
        else { throw error("must be a number", at: path, node) }
        if finite && !value.isFinite { throw error("must be a finite number, got \(scalar.string)", at: path, node) }
        return value
    }

    static func parseNumber(_ text: String) -> Double? {
        switch text {
        case ".nan", ".NaN", ".NAN": return .nan
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        default: return Double(text.replacingOccurrences(of: "_", with: ""))
        }
    }

    func sequence(_ node: Node, at path: String) throws(PipelineSpecError) -> [Node] {
        guard let sequence = node.sequence else { throw error("must be a list", at: path, node) }
        return Array(sequence)
    }

    func numbers(_ node: Node, at path: String, finite: Bool = true) throws(PipelineSpecError) -> [Double] {
        var values: [Double] = []
        for (index, element) in try sequence(node, at: path).enumerated() {
            values.append(try number(element, at: "\(path)[\(index)]", finite: finite))
        }
        return values
    }

    /// Numbers, or nil for an explicit null.
    func optionalNumbers(_ node: Node?, at path: String) throws(PipelineSpecError) -> [Double]? {
        guard let node, !isNull(node) else { return nil }
        return try numbers(node, at: path)
    }

    /// A category value: a string, a number, a bool (as 0/1) or null (missing).
    func category(_ node: Node, at path: String) throws(PipelineSpecError) -> CategoryValue {
        guard let scalar = node.scalar else { throw error("must be a string, number, bool or null", at: path, node) }
        switch node.tagName {
        case .null: return .missing
        case .bool: return .number(node.bool == true ? 1 : 0)
        case .int, .float:
            guard let value = Self.parseNumber(scalar.string) else { throw error("is not a number", at: path, node) }
            return value.isNaN ? .missing : .number(value)
        default: return .text(scalar.string)
        }
    }

    func categories(_ node: Node, at path: String) throws(PipelineSpecError) -> [CategoryValue] {
        var values: [CategoryValue] = []
        for (index, element) in try sequence(node, at: path).enumerated() {
            values.append(try category(element, at: "\(path)[\(index)]"))
        }
        return values
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, at path: String, as type: T.Type) throws(PipelineSpecError) -> T
    where T.RawValue == String {
        let text = try string(node, at: path)
        guard let value = T(rawValue: text) else {
            let known = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("'\(text)' is not one of \(known)", at: path, node)
        }
        return value
    }
}

extension Node {
    /// The resolved tag's name (Yams keeps `Tag.name` internal; its description is the name).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }
}

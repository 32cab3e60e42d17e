import JSONDocument
import JSONEscaping

extension JSONValue {
    /// The document on one line, as for JSON Lines.
    public var compactText: String {
        var text = ""
        write(to: &text, indent: nil, depth: 0)
        return text
    }

    /// The document indented by two spaces per level.
    public var prettyText: String {
        var text = ""
        write(to: &text, indent: "  ", depth: 0)
        return text
    }

    private func write(to text: inout String, indent: String?, depth: Int) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .number(let literal): text += literal
        case .string(let value): JSONValue.writeString(value, to: &text)
        case .array(let elements):
            writeContainer(elements, open: "[", close: "]", to: &text, indent: indent, depth: depth) { element, text in
                element.write(to: &text, indent: indent, depth: depth + 1)
            }
        case .object(let members):
            writeContainer(members, open: "{", close: "}", to: &text, indent: indent, depth: depth) { member, text in
                JSONValue.writeString(member.key, to: &text)
                text += indent == nil ? ":" : ": "
                member.value.write(to: &text, indent: indent, depth: depth + 1)
            }
        }
    }

    private func writeContainer<Element>(
        _ elements: [Element], open: String, close: String, to text: inout String, indent: String?, depth: Int,
        element write: (Element, inout String) -> Void
    ) {
        text += open
        guard !elements.isEmpty else {
            text += close
            return
        }
        // Arrays of scalars (tensor data, shapes) stay on one line even when pretty-printed.
        let flat = indent == nil || elements.allSatisfy { ($0 as? JSONValue)?.isScalar ?? false }
        for (offset, element) in elements.enumerated() {
            if offset > 0 { text += flat && indent != nil ? ", " : "," }
            if !flat, let indent { text += "\n" + String(repeating: indent, count: depth + 1) }
            write(element, &text)
        }
        if !flat, let indent { text += "\n" + String(repeating: indent, count: depth) }
        text += close
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private static func writeString(_ value: String, to text: inout String) {
        JSONString.append(value, to: &text)
    }
}

/// Parses RFC 8259 JSON into a `JSONValue`, byte by byte with no Foundation objects, keeping
/// object members in document order (Foundation's parser loses it) and reporting errors by line
/// and column.
public enum JSONParser {
    /// Arrays and objects nested deeper than this are refused rather than risking the stack.
    static let maxDepth = 128

    /// The document in `text`.
    public static func parse(_ text: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try parse(text, count: text.count)
    }

    /// The document in the first `count` bytes of `text`, so a body that carries more after its
    /// JSON (Triton's binary tensors) is read without a copy.
    public static func parse(_ text: [UInt8], count: Int) throws(JSONSyntaxError) -> JSONValue {
        precondition(count >= 0 && count <= text.count, "count outside the text")
        var parser = Parser(bytes: text, end: count)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == count else { throw parser.error("unexpected text after the JSON document") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let end: Int
        var index = 0

        init(bytes: [UInt8], end: Int) {
            self.bytes = bytes
            self.end = end
            if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        }

        mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            guard depth < maxDepth else { throw error("arrays or objects nested more than \(maxDepth) deep") }
            guard index < end else { throw error("the document ends where a value was expected") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("expected a value")
            }
        }

        private mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            var members: [JSONMember] = []
            try items(closing: UInt8(ascii: "}"), in: "an object") { (parser) throws(JSONSyntaxError) in
                guard parser.index < parser.end, parser.bytes[parser.index] == UInt8(ascii: "\"") else {
                    throw parser.error("expected a member name in quotes")
                }
                let key = try parser.string()
                parser.skipWhitespace()
                guard parser.consume(UInt8(ascii: ":")) else { throw parser.error("expected ':' after a member name") }
                parser.skipWhitespace()
                members.append(JSONMember(key, try parser.value(depth: depth + 1)))
            }
            return .object(members)
        }

        private mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            var elements: [JSONValue] = []
            try items(closing: UInt8(ascii: "]"), in: "an array") { (parser) throws(JSONSyntaxError) in
                elements.append(try parser.value(depth: depth + 1))
            }
            return .array(elements)
        }

        /// Reads the comma-separated items of the object or array that starts here, up to `close`;
        /// `item` reads one item (`container` names the object or array in errors).
        private mutating func items(
            closing close: UInt8, in container: String, _ item: (inout Parser) throws(JSONSyntaxError) -> Void
        ) throws(JSONSyntaxError) {
            index += 1
            skipWhitespace()
            if consume(close) { return }
            while true {
                skipWhitespace()
                try item(&self)
                skipWhitespace()
                if consume(close) { return }
                guard consume(UInt8(ascii: ",")) else {
                    throw error("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(container)")
                }
            }
        }

        /// Steps over `byte` when it is next.
        private mutating func consume(_ byte: UInt8) -> Bool {
            guard index < end, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
            let count = word.utf8CodeUnitCount
            guard index + count <= end else { throw error("expected a value") }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                throw error("expected a value")
            }
            index += count
        }

        private mutating func number() throws(JSONSyntaxError) -> String {
            let start = index
            func digits(_ parser: inout Parser) -> Int {
                let first = parser.index
                while parser.index < parser.end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index]) {
                    parser.index += 1
                }
                return parser.index - first
            }
            // Errors point at the number's first character, where a reader looks for the mistake.
            func failure(_ parser: inout Parser, _ reason: String) -> JSONSyntaxError {
                parser.index = start
                return parser.error(reason)
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            guard digits(&self) > 0 else { throw failure(&self, "a number needs digits") }
            if bytes[integerStart] == UInt8(ascii: "0"), index - integerStart > 1 {
                throw failure(&self, "a number must not start with 0")
            }
            if index < end, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw failure(&self, "a number needs digits after '.'") }
            }
            if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw failure(&self, "a number needs digits in its exponent") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A string; runs without escapes are decoded as one piece, so a plain string (the common
        /// case: names, datatypes, BYTES elements) is one `String(decoding:)`.
        private mutating func string() throws(JSONSyntaxError) -> String {
            let opening = index
            index += 1
            var text = ""
            var plainStart = index
            while true {
                guard index < end else {
                    index = opening
                    throw error("a string is not closed")
                }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let plain = String(decoding: bytes[plainStart..<index], as: UTF8.self)
                    index += 1
                    if text.isEmpty { return plain }
                    return text + plain
                }
                if byte < 0x20 { throw error("a control character inside a string (escape it)") }
                guard byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                text += String(decoding: bytes[plainStart..<index], as: UTF8.self)
                index += 1
                text.unicodeScalars.append(try escape())
                plainStart = index
            }
        }

        /// Decodes the escape after a backslash, joining UTF-16 surrogate pairs.
        private mutating func escape() throws(JSONSyntaxError) -> Unicode.Scalar {
            guard index < end else { throw error("a string is not closed") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let unit = try hex4()
                if (0xD800..<0xDC00).contains(unit), index + 2 <= end, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low),
                        let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    {
                        return scalar
                    }
                    return "\u{FFFD}"
                }
                return Unicode.Scalar(unit) ?? "\u{FFFD}"
            default:
                index -= 1
                throw error("an unknown escape in a string")
            }
        }

        private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
            guard index + 4 <= end,
                let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else {
                throw error("\\u needs four hex digits")
            }
            index += 4
            return value
        }

        mutating func skipWhitespace() {
            while index < end {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        /// An error at the current position, as `line L, column C: reason`.
        func error(_ reason: String) -> JSONSyntaxError {
            var line = 1
            var lineStart = 0
            for position in 0..<min(index, end) where bytes[position] == UInt8(ascii: "\n") {
                line += 1
                lineStart = position + 1
            }
            return JSONSyntaxError("line \(line), column \(index - lineStart + 1): \(reason)")
        }
    }
}

/// Why a document is not JSON, with the line and column where reading stopped.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

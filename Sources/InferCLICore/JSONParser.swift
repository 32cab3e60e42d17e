/// Parses RFC 8259 JSON into a `JSONValue`, keeping object members in document order (Foundation's
/// parser loses it) and reporting errors by line and column.
public enum JSONParser {
    /// Arrays and objects nested deeper than this are refused rather than risking the stack.
    static let maxDepth = 128

    public static func parse(_ text: [UInt8]) throws(InputError) -> JSONValue {
        var parser = Parser(bytes: text)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == text.count else { throw parser.error("unexpected text after the JSON document") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        mutating func value(depth: Int) throws(InputError) -> JSONValue {
            guard depth < maxDepth else { throw error("arrays or objects nested more than \(maxDepth) deep") }
            guard index < bytes.count else { throw error("the document ends where a value was expected") }
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

        private mutating func object(depth: Int) throws(InputError) -> JSONValue {
            var members: [JSONMember] = []
            try items(closing: UInt8(ascii: "}"), in: "an object") { (parser) throws(InputError) in
                guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "\"") else {
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

        private mutating func array(depth: Int) throws(InputError) -> JSONValue {
            var elements: [JSONValue] = []
            try items(closing: UInt8(ascii: "]"), in: "an array") { (parser) throws(InputError) in
                elements.append(try parser.value(depth: depth + 1))
            }
            return .array(elements)
        }

        /// Reads the comma-separated items of the object or array that starts here, up to `close`;
        /// `item` reads one item (`container` names the object or array in errors).
        private mutating func items(
            closing close: UInt8, in container: String, _ item: (inout Parser) throws(InputError) -> Void
        ) throws(InputError) {
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
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func literal(_ word: String) throws(InputError) {
            let expected = Array(word.utf8)
            guard bytes[index...].starts(with: expected) else { throw error("expected a value") }
            index += expected.count
        }

        private mutating func number() throws(InputError) -> String {
            let start = index
            func digits(_ parser: inout Parser) -> Int {
                let first = parser.index
                while parser.index < parser.bytes.count,
                    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index])
                {
                    parser.index += 1
                }
                return parser.index - first
            }
            // Errors point at the number's first character, where a reader looks for the mistake.
            func failure(_ parser: inout Parser, _ reason: String) -> InputError {
                parser.index = start
                return parser.error(reason)
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            guard digits(&self) > 0 else { throw failure(&self, "a number needs digits") }
            if bytes[integerStart] == UInt8(ascii: "0"), index - integerStart > 1 {
                throw failure(&self, "a number must not start with 0")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw failure(&self, "a number needs digits after '.'") }
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw failure(&self, "a number needs digits in its exponent") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        private mutating func string() throws(InputError) -> String {
            let opening = index
            index += 1
            var scalars = String.UnicodeScalarView()
            var plainStart = index
            func flushPlain(_ parser: Parser, upTo end: Int) {
                scalars.append(contentsOf: String(decoding: parser.bytes[plainStart..<end], as: UTF8.self).unicodeScalars)
            }
            while true {
                guard index < bytes.count else {
                    index = opening
                    throw error("a string is not closed")
                }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    flushPlain(self, upTo: index)
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw error("a control character inside a string (escape it)") }
                guard byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                flushPlain(self, upTo: index)
                index += 1
                scalars.append(try escape())
                plainStart = index
            }
        }

        /// Decodes the escape after a backslash, joining UTF-16 surrogate pairs.
        private mutating func escape() throws(InputError) -> Unicode.Scalar {
            guard index < bytes.count else { throw error("a string is not closed") }
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
                if (0xD800..<0xDC00).contains(unit), bytes[index...].starts(with: Array("\\u".utf8)) {
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

        private mutating func hex4() throws(InputError) -> UInt32 {
            guard index + 4 <= bytes.count,
                let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else {
                throw error("\\u needs four hex digits")
            }
            index += 4
            return value
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        /// An error at the current position, as `line L, column C: reason`.
        func error(_ reason: String) -> InputError {
            var line = 1
            var lineStart = 0
            for position in 0..<min(index, bytes.count) where bytes[position] == UInt8(ascii: "\n") {
                line += 1
                lineStart = position + 1
            }
            return InputError("line \(line), column \(index - lineStart + 1): \(reason)")
        }
    }
}

/// One CSV record with the line it starts on, kept for error messages.
public struct CSVRecord: Sendable, Hashable {
    public var line: Int
    public var fields: [String]
}

/// Splits RFC 4180 CSV into records: comma-separated fields, double-quoted fields that may hold
/// commas, quotes (doubled) and line breaks, LF or CRLF line ends. Blank lines are skipped, as
/// pandas does, and a UTF-8 byte order mark (Excel writes one) is ignored.
public enum CSVReader {
    public static func records(_ text: [UInt8]) throws(InputError) -> [CSVRecord] {
        var parser = Parser(bytes: text)
        return try parser.parse()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var line = 1

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        mutating func parse() throws(InputError) -> [CSVRecord] {
            var records: [CSVRecord] = []
            while index < bytes.count {
                if consumeLineEnd() { continue }  // a blank line
                let start = line
                records.append(CSVRecord(line: start, fields: try record(startingOn: start)))
            }
            return records
        }

        /// Reads fields up to the end of the record, consuming its line end.
        private mutating func record(startingOn start: Int) throws(InputError) -> [String] {
            var fields: [String] = []
            while true {
                fields.append(try field(recordLine: start))
                if index == bytes.count || consumeLineEnd() { return fields }
                // `field` stops only at a comma, a line end or the end of input.
                index += 1
            }
        }

        private mutating func field(recordLine: Int) throws(InputError) -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                let start = index
                while index < bytes.count, !isSeparator(bytes[index]) {
                    if bytes[index] == UInt8(ascii: "\"") {
                        throw InputError(
                            "line \(line): a quote inside an unquoted field (quote the whole field and double the quote)")
                    }
                    index += 1
                }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            }
            let openedOn = line
            index += 1
            var value: [UInt8] = []
            while true {
                guard index < bytes.count else {
                    throw InputError("line \(openedOn): a quoted field is not closed")
                }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        value.append(byte)
                        index += 1
                        continue
                    }
                    guard index == bytes.count || isSeparator(bytes[index]) else {
                        throw InputError("line \(line): unexpected text after the closing quote of a field")
                    }
                    return String(decoding: value, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\n") { line += 1 }
                value.append(byte)
            }
        }

        private func isSeparator(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
        }

        /// Consumes LF, CRLF or a lone CR at `index`.
        private mutating func consumeLineEnd() -> Bool {
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "\n"):
                index += 1
            case UInt8(ascii: "\r"):
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "\n") { index += 1 }
            default:
                return false
            }
            line += 1
            return true
        }
    }
}

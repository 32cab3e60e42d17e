/// Rows of numbers read from the simple CSV that scripts/export-model writes: one row per line,
/// values separated by commas, no header; an empty field or `nan` is a missing value (NaN).
public struct RowsFile: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// The values, row after row.
    public var values: [Float]

    /// Parses the text; every line must have the same number of fields.
    public init(text: String) throws(CheckError) {
        var values: [Float] = []
        var columns = -1
        var rows = 0
        // "\r\n" is one Character in Swift, and a newline: CRLF files split like LF files.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if columns < 0 { columns = fields.count }
            guard fields.count == columns else {
                throw CheckError("line \(index + 1) has \(fields.count) values, the first row has \(columns)")
            }
            for (position, field) in fields.enumerated() {
                values.append(try Self.number(field, line: index + 1, column: position + 1))
            }
            rows += 1
        }
        guard rows > 0 else { throw CheckError("the rows file holds no rows") }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    static func number(_ field: Substring, line: Int, column: Int) throws(CheckError) -> Float {
        let text = field.trimmingSpaces
        if text.isEmpty || text.lowercased() == "nan" { return .nan }
        // Parse as Double first: Python prints float32 values as the exact decimal of a double.
        guard let value = Double(text) else {
            throw CheckError("line \(line), value \(column): '\(text)' is not a number")
        }
        return Float(value)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}

/// A plain-ASCII table: a header row, then rows, columns padded to their widest cell and
/// separated by two spaces. Numeric columns are right-aligned so digits line up.
public struct TextTable: Sendable, Hashable {
    public enum Alignment: Sendable, Hashable {
        case left
        case right
    }

    public var headers: [String]
    public var alignments: [Alignment]
    public var rows: [[String]]

    /// A table whose columns are left-aligned unless `rightAligned` names them.
    public init(headers: [String], rightAligned: Set<Int> = [], rows: [[String]] = []) {
        self.headers = headers
        self.alignments = headers.indices.map { rightAligned.contains($0) ? .right : .left }
        self.rows = rows
    }

    public mutating func append(_ row: [String]) {
        precondition(row.count == headers.count, "a table row needs one cell per header")
        rows.append(row)
    }

    /// The table as lines ending in a newline; trailing spaces are trimmed.
    public var rendered: String {
        let widths = headers.indices.map { column in
            ([headers] + rows).map { $0[column].count }.max() ?? 0
        }
        var text = ""
        for row in [headers] + rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                if column > 0 { line += "  " }
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                line += alignments[column] == .right ? padding + cell : cell + padding
            }
            while line.last == " " { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}

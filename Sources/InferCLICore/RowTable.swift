/// One value of an input row, typed as far as the file says.
public enum Cell: Sendable, Hashable {
    /// An empty CSV cell, JSON null or "", or an absent member.
    case missing
    /// A number with its text as written, used when the column turns out to hold strings.
    case number(Double, literal: String)
    case bool(Bool)
    case text(String)

    /// A CSV field: empty is missing, a decimal number is a number, anything else is text.
    public init(csvField field: String) {
        if field.isEmpty {
            self = .missing
        } else if let value = Cell.decimalNumber(field) {
            self = .number(value, literal: field)
        } else {
            self = .text(field)
        }
    }

    /// Reads `field` as a number when it looks like one (`1`, `-2.5`, `.5`, `1e-3`, `nan`, `inf`),
    /// refusing the other spellings `Double.init` accepts, such as hexadecimal.
    static func decimalNumber(_ field: String) -> Double? {
        let trimmed = field.trimmingWhitespace()
        let lowered = trimmed.lowercased()
        if ["nan", "+nan", "-nan"].contains(lowered) { return .nan }
        if ["inf", "+inf", "infinity", "+infinity"].contains(lowered) { return .infinity }
        if ["-inf", "-infinity"].contains(lowered) { return -.infinity }
        guard !trimmed.isEmpty,
            trimmed.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }),
            trimmed.unicodeScalars.contains(where: { ("0"..."9").contains($0) })
        else { return nil }
        return Double(trimmed)
    }
}

/// Rows read from a CSV or JSON file: named columns and one cell per column in every row.
public struct RowTable: Sendable, Hashable {
    /// Column names; nil when the file has none (JSON arrays of arrays).
    public var columnNames: [String]?
    public var columnCount: Int
    public var rows: [[Cell]]

    public init(columnNames: [String]?, columnCount: Int? = nil, rows: [[Cell]]) {
        self.columnNames = columnNames
        self.columnCount = columnCount ?? columnNames?.count ?? rows.first?.count ?? 0
        self.rows = rows
    }

    /// The cells of column `index`, top to bottom.
    public func column(_ index: Int) -> [Cell] { rows.map { $0[index] } }

    /// How a column is named in messages: its name, or its 1-based position.
    func columnLabel(_ index: Int) -> String {
        if let name = columnNames?[index] { return "column \"\(name)\"" }
        return "column \(index + 1)"
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}

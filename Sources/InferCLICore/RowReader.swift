import JSONDocument

/// Reads the rows to send from CSV or JSON bytes.
public enum RowReader {
    /// Parses `contents`; errors start with `source` (a path, or "stdin").
    public static func read(_ contents: [UInt8], format: InputFormat, source: String) throws(InputError) -> RowTable {
        let label = source == "-" ? "stdin" : source
        let table: RowTable
        do {
            switch format {
            case .csv: table = try csvTable(contents)
            case .json: table = try jsonTable(contents)
            }
        } catch {
            throw error.located(in: label)
        }
        guard !table.rows.isEmpty else { throw InputError("\(label): no rows to send") }
        return table
    }

    /// The first record is the header; every other record must have as many fields.
    static func csvTable(_ contents: [UInt8]) throws(InputError) -> RowTable {
        let records = try CSVReader.records(contents)
        guard let header = records.first else { throw InputError("the file is empty (a CSV file starts with a header row)") }
        var rows: [[Cell]] = []
        rows.reserveCapacity(records.count - 1)
        for record in records.dropFirst() {
            guard record.fields.count == header.fields.count else {
                throw InputError(
                    "line \(record.line) has \(record.fields.count) fields, but the header has \(header.fields.count)")
            }
            rows.append(record.fields.map(Cell.init(csvField:)))
        }
        return RowTable(columnNames: header.fields.map { String($0.trimmingWhitespace()) }, rows: rows)
    }

    /// An array of objects (members are columns, in order of first appearance), an array of
    /// arrays (columns by position), or a single object (one row).
    static func jsonTable(_ contents: [UInt8]) throws(InputError) -> RowTable {
        let document: JSONValue
        do {
            document = try JSONParser.parse(contents)
        } catch {
            throw InputError(error.message)
        }
        let elements: [JSONValue]
        switch document {
        case .array(let array): elements = array
        case .object: elements = [document]
        default: throw InputError("expected an array of rows (objects or arrays)")
        }
        switch elements.first {
        case nil: return RowTable(columnNames: [], rows: [])
        case .array: return try arrayRows(elements)
        case .object: return try objectRows(elements)
        default: throw InputError("row 1 is neither an object nor an array")
        }
    }

    private static func objectRows(_ elements: [JSONValue]) throws(InputError) -> RowTable {
        var names: [String] = []
        var positions: [String: Int] = [:]
        var objects: [[JSONMember]] = []
        for (offset, element) in elements.enumerated() {
            guard case .object(let members) = element else {
                throw InputError("row \(offset + 1) is not an object, but row 1 is")
            }
            for member in members where positions[member.key] == nil {
                positions[member.key] = names.count
                names.append(member.key)
            }
            objects.append(members)
        }
        var rows: [[Cell]] = []
        rows.reserveCapacity(objects.count)
        for (offset, members) in objects.enumerated() {
            var row = [Cell](repeating: .missing, count: names.count)
            for member in members {
                row[positions[member.key]!] = try cell(member.value, row: offset, column: "column \"\(member.key)\"")
            }
            rows.append(row)
        }
        return RowTable(columnNames: names, rows: rows)
    }

    private static func arrayRows(_ elements: [JSONValue]) throws(InputError) -> RowTable {
        var rows: [[Cell]] = []
        var width: Int?
        for (offset, element) in elements.enumerated() {
            guard case .array(let values) = element else {
                throw InputError("row \(offset + 1) is not an array, but row 1 is")
            }
            if let width, values.count != width {
                throw InputError("row \(offset + 1) has \(values.count) values, but row 1 has \(width)")
            }
            width = values.count
            var row: [Cell] = []
            for (index, value) in values.enumerated() {
                row.append(try cell(value, row: offset, column: "column \(index + 1)"))
            }
            rows.append(row)
        }
        return RowTable(columnNames: nil, columnCount: width ?? 0, rows: rows)
    }

    private static func cell(_ value: JSONValue, row: Int, column: String) throws(InputError) -> Cell {
        switch value {
        case .null: return .missing
        case .bool(let flag): return .bool(flag)
        case .number(let literal): return .number(Double(literal) ?? .nan, literal: literal)
        case .string(let text): return text.isEmpty ? .missing : .text(text)
        case .array, .object:
            throw InputError("row \(row + 1), \(column): nested arrays and objects are not supported (use one value per cell)")
        }
    }
}

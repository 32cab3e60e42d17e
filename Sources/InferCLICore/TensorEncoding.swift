import InferenceAPI

/// How rows become input tensors.
public enum RowLayout: String, Sendable, Hashable, CaseIterable {
    /// One tensor per column, named as the column: for a route with a preprocessing pipeline.
    case columns
    /// One `[rows, columns]` tensor of numbers: for a model's matrix input.
    case matrix
}

/// The datatype numbers are sent as.
public enum NumberType: String, Sendable, Hashable, CaseIterable {
    case fp32 = "FP32"
    case fp64 = "FP64"
}

/// What `infer` needs to turn rows into tensors.
public struct TensorEncoding: Sendable, Hashable {
    public var layout: RowLayout
    /// The matrix tensor's name.
    public var tensorName: String
    /// The datatype of numbers; nil for the layout's default (FP64 columns, FP32 matrix).
    public var numberType: NumberType?

    public init(layout: RowLayout = .columns, tensorName: String = "X", numberType: NumberType? = nil) {
        self.layout = layout
        self.tensorName = tensorName
        self.numberType = numberType
    }

    /// The tensors that carry `table`.
    public func tensors(for table: RowTable) throws(InputError) -> [InferTensor] {
        switch layout {
        case .columns: try columnTensors(table)
        case .matrix: [try matrixTensor(table)]
        }
    }

    private func columnTensors(_ table: RowTable) throws(InputError) -> [InferTensor] {
        guard let names = table.columnNames else {
            throw InputError("the rows are arrays without column names: use --as matrix, or write objects or a CSV header")
        }
        var seen: Set<String> = []
        for (index, name) in names.enumerated() {
            guard !name.isEmpty else { throw InputError("column \(index + 1) has no name in the header") }
            guard seen.insert(name).inserted else { throw InputError("column \"\(name)\" appears twice") }
        }
        let rows = Int64(table.rows.count)
        return names.indices.map { index in
            let cells = table.column(index)
            switch ColumnKind(of: cells) {
            case .text:
                return InferTensor(name: names[index], shape: [rows], bytesElements: cells.map(\.bytesElement))
            case .bool:
                return InferTensor(name: names[index], shape: [rows], bools: cells.map { $0 == .bool(true) })
            case .number:
                return numberTensor(name: names[index], shape: [rows], values: cells.map(\.numberValue), default: .fp64)
            }
        }
    }

    private func matrixTensor(_ table: RowTable) throws(InputError) -> InferTensor {
        var values: [Double] = []
        values.reserveCapacity(table.rows.count * table.columnCount)
        for (row, cells) in table.rows.enumerated() {
            for (column, cell) in cells.enumerated() {
                if case .text(let text) = cell {
                    throw InputError(
                        "row \(row + 1), \(table.columnLabel(column)): \"\(text)\" is not a number (--as matrix sends numbers only)"
                    )
                }
                values.append(cell.numberValue)
            }
        }
        let shape = [Int64(table.rows.count), Int64(table.columnCount)]
        return numberTensor(name: tensorName, shape: shape, values: values, default: .fp32)
    }

    private func numberTensor(name: String, shape: [Int64], values: [Double], default fallback: NumberType) -> InferTensor {
        switch numberType ?? fallback {
        case .fp32: InferTensor(name: name, shape: shape, values: values.map(Float.init))
        case .fp64: InferTensor(name: name, shape: shape, values: values)
        }
    }
}

/// What a column holds, decided from all of its cells.
enum ColumnKind: Hashable {
    /// Numbers (booleans count as 1 and 0, missing as NaN).
    case number
    /// Only booleans and nothing missing: sent as BOOL.
    case bool
    /// At least one value that is not a number: every value is sent as its text.
    case text

    init(of cells: [Cell]) {
        var sawBool = false
        var sawOther = false
        for cell in cells {
            switch cell {
            case .text: self = .text; return
            case .bool: sawBool = true
            case .number, .missing: sawOther = true
            }
        }
        self = sawBool && !sawOther ? .bool : .number
    }
}

extension Cell {
    /// The value in a numeric tensor: NaN marks a missing value.
    var numberValue: Double {
        switch self {
        case .missing, .text: .nan
        case .number(let value, _): value
        case .bool(let flag): flag ? 1 : 0
        }
    }

    /// The element in a BYTES tensor: empty marks a missing value.
    var bytesElement: [UInt8] {
        switch self {
        case .missing: []
        case .number(_, let literal): Array(literal.utf8)
        case .bool(let flag): Array((flag ? "true" : "false").utf8)
        case .text(let text): Array(text.utf8)
        }
    }
}

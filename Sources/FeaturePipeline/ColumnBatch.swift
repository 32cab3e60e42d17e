/// Text values stored back to back as UTF-8: row `i` spans `bytes[start(i)..<ends[i]]`.
///
/// One buffer per column, so reading and matching text allocates nothing per row.
public struct TextColumn: Sendable, Hashable {
    public private(set) var bytes: [UInt8] = []
    /// The end offset of each row's bytes.
    public private(set) var ends: [Int] = []
    /// Whether each row's value is missing (its bytes are then empty).
    public private(set) var missing: [Bool] = []

    public init() {}

    /// An empty column with room for `rows` rows of about `bytesPerRow` bytes.
    public init(reservingRows rows: Int, bytes: Int) {
        self.bytes.reserveCapacity(bytes)
        ends.reserveCapacity(rows)
        missing.reserveCapacity(rows)
    }

    public init(_ values: [String?]) {
        self.init(reservingRows: values.count, bytes: values.reduce(0) { $0 + ($1?.utf8.count ?? 0) })
        for value in values {
            if let value { append(value.utf8) } else { appendMissing() }
        }
    }

    public var count: Int { ends.count }

    public mutating func append(_ value: some Collection<UInt8>) {
        bytes.append(contentsOf: value)
        ends.append(bytes.count)
        missing.append(false)
    }

    public mutating func appendMissing() {
        ends.append(bytes.count)
        missing.append(true)
    }

    /// The byte range of row `row`.
    @inline(__always)
    public func range(of row: Int) -> Range<Int> {
        (row == 0 ? 0 : ends[row - 1])..<ends[row]
    }

    /// Row `row` as a String (for error messages), nil when missing.
    public func string(at row: Int) -> String? {
        missing[row] ? nil : String(decoding: bytes[range(of: row)], as: UTF8.self)
    }
}

/// One column of values between steps: numbers (NaN marks a missing value) or text.
public enum ColumnData: Sendable, Hashable {
    case numbers([Double])
    case text(TextColumn)

    public var count: Int {
        switch self {
        case .numbers(let values): values.count
        case .text(let column): column.count
        }
    }
}

/// The columns of a batch of rows, column by column, as the plan's steps pass them on.
public struct ColumnBatch: Sendable, Hashable {
    public var rows: Int
    public var columns: [ColumnData]

    public init(rows: Int, columns: [ColumnData]) {
        self.rows = rows
        self.columns = columns
    }
}

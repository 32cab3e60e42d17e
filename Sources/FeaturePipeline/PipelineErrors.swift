/// A pipeline spec that cannot be used; the message names the file, the step and the field.
public struct PipelineSpecError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A bad value in the rows being transformed: which row, which column, and why.
public struct PipelineInputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Zero-based row in the request.
    public var row: Int
    /// The raw column (or the step's column label) at fault.
    public var column: String
    public var reason: String

    public init(row: Int, column: String, reason: String) {
        self.row = row
        self.column = column
        self.reason = reason
    }

    public var description: String { "row \(row), column '\(column)': \(reason)" }
}

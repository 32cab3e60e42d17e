/// A problem with the rows the user gave (file format, shape or values); the message names the
/// file, line or row, and column at fault.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// The same error with `source: ` in front, so parsers need not know the file's name.
    func located(in source: String) -> InputError {
        InputError("\(source): \(message)")
    }
}

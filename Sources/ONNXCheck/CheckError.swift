/// A problem with onnx-check's arguments or files, reported on one line.
public struct CheckError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

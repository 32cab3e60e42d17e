/// A problem with the model repository: a config file, a layout rule or a failed load. The
/// message names the file, key, model or version at fault.
public struct RepositoryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// Whether the model asked for does not exist (rather than exists and cannot be used).
    public var isNotFound = false

    public init(_ message: String) {
        self.message = message
    }

    /// The model asked for is not there.
    public static func notFound(_ message: String) -> RepositoryError {
        var error = RepositoryError(message)
        error.isNotFound = true
        return error
    }

    public var description: String { message }
}

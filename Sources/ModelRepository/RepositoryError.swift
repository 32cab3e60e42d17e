/// A problem with the model repository: a config file, a layout rule or a failed load. The
/// message names the file, key, model or version at fault.
public struct RepositoryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

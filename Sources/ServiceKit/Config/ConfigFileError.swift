/// A config file that cannot be used; the message names the file and, where there is one, the key.
public struct ConfigFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var key: String?
    public var reason: String

    public init(file: String, key: String? = nil, reason: String) {
        self.file = file
        self.key = key
        self.reason = reason
    }

    public var description: String {
        if let key { return "config file '\(file)', key '\(key)': \(reason)" }
        return "config file '\(file)': \(reason)"
    }
}

/// `inference.ServerMetadataRequest`.
public struct ServerMetadataRequest: Sendable, Hashable {
    public init() {}
}

/// `inference.ServerMetadataResponse`: the server's name, version and protocol extensions.
public struct ServerMetadataResponse: Sendable, Hashable {
    public var name: String
    public var version: String
    public var extensions: [String]

    public init(name: String, version: String, extensions: [String] = []) {
        self.name = name
        self.version = version
        self.extensions = extensions
    }
}

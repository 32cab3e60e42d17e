/// `inference.ModelReadyRequest`: can a model (version) take inference requests?
public struct ModelReadyRequest: Sendable, Hashable {
    public var name: String
    /// Empty for the server's choice of version.
    public var version: String

    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }
}

/// `inference.ModelReadyResponse`.
public struct ModelReadyResponse: Sendable, Hashable {
    public var ready: Bool

    public init(ready: Bool) { self.ready = ready }
}

/// `inference.ServerReadyRequest`: can the server take inference requests?
public struct ServerReadyRequest: Sendable, Hashable {
    public init() {}
}

/// `inference.ServerReadyResponse`.
public struct ServerReadyResponse: Sendable, Hashable {
    public var ready: Bool

    public init(ready: Bool) { self.ready = ready }
}

/// `inference.ServerLiveRequest`: is the server running?
public struct ServerLiveRequest: Sendable, Hashable {
    public init() {}
}

/// `inference.ServerLiveResponse`.
public struct ServerLiveResponse: Sendable, Hashable {
    public var live: Bool

    public init(live: Bool) { self.live = live }
}

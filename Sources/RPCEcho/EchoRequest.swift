/// `rpctest.EchoRequest`: what to echo, how often, and how slowly.
public struct EchoRequest: Sendable, Hashable {
    public var payload: [UInt8]
    /// For Expand: how many replies to send.
    public var count: UInt32
    /// How long the handler waits before each reply.
    public var delayMilliseconds: UInt32

    public init(payload: [UInt8] = [], count: UInt32 = 0, delayMilliseconds: UInt32 = 0) {
        self.payload = payload
        self.count = count
        self.delayMilliseconds = delayMilliseconds
    }
}

/// `rpctest.EchoResponse`: the payload back, with its position in a stream of replies.
public struct EchoResponse: Sendable, Hashable {
    public var payload: [UInt8]
    public var index: UInt32

    public init(payload: [UInt8] = [], index: UInt32 = 0) {
        self.payload = payload
        self.index = index
    }
}

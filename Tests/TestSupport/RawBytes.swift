import RPCCore

/// A message that is its own bytes, for transport tests that do not care about protobuf.
public struct RawBytes: WireMessage, Equatable {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public init(wireBytes: UnsafeRawBufferPointer) throws(RPCError) {
        bytes = Array(wireBytes)
    }

    public func wireBytes() -> [UInt8] { bytes }
}

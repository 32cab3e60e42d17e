/// A message that travels as protobuf bytes inside gRPC framing.
public protocol WireMessage: Sendable {
    /// Decodes the message; throws an `RPCError` (INTERNAL for bytes that are not valid protobuf,
    /// INVALID_ARGUMENT for valid protobuf with unusable content).
    init(wireBytes: UnsafeRawBufferPointer) throws(RPCError)

    /// The protobuf encoding of the message.
    func wireBytes() -> [UInt8]
}

extension WireMessage {
    /// Decodes from an array of bytes.
    public init(wireBytes bytes: [UInt8]) throws(RPCError) {
        do {
            self = try bytes.withUnsafeBytes { buffer in try Self(wireBytes: buffer) }
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(from: error)
        }
    }
}

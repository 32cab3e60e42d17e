// Packing and unpacking through protoc-c's generated `_pack` / `_unpack` functions, shared by
// every module whose conversion layer turns C structs into Swift values.
public import CProtobufC
public import RPCCore

/// Encodes and decodes one generated protobuf-c message type.
public enum ProtoCMessage {
    /// Encodes `message` with its generated size and pack functions, straight into the array.
    public static func pack<Message>(
        _ message: inout Message,
        size: (UnsafePointer<Message>?) -> Int,
        pack: (UnsafePointer<Message>?, UnsafeMutablePointer<UInt8>?) -> Int
    ) -> [UInt8] {
        withUnsafePointer(to: &message) { pointer in
            let count = size(pointer)
            guard count > 0 else { return [] }
            return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                initialized = pack(pointer, buffer.baseAddress)
            }
        }
    }

    /// Decodes `bytes` with the generated unpack function into an arena, hands the C message to
    /// `convert`, and frees it with the arena; INTERNAL when the bytes are not valid protobuf
    /// for `messageName`.
    public static func unpack<Message, Result>(
        _ bytes: UnsafeRawBufferPointer,
        messageName: String,
        unpack: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?,
        convert: (Message) throws(RPCError) -> Result
    ) throws(RPCError) -> Result {
        try CArena.with { (arena) throws(RPCError) -> Result in
            // Everything the unpack allocates comes from the arena and goes with it, so the
            // generated free function is not needed.
            var allocator = arena.allocator
            guard let message = unpack(&allocator, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
                throw RPCError(.internal, "could not decode \(messageName): invalid protobuf")
            }
            return try convert(message.pointee)
        }
    }
}

extension ProtobufCBinaryData {
    /// Binary data that points at `bytes` without copying; valid while `bytes` is.
    public init(pointingAt bytes: UnsafeRawBufferPointer) {
        self.init(
            len: bytes.count,
            data: bytes.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) })
    }
}

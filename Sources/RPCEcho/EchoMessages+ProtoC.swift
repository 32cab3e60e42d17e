// The only file of this module that touches protobuf-c structs.
internal import CProtobufC
internal import ProtoC
import RPCCore

extension EchoRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        guard
            let message = rpctest__echo_request__unpack(
                nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        else {
            throw RPCError(.internal, "could not decode rpctest.EchoRequest: invalid protobuf")
        }
        defer { rpctest__echo_request__free_unpacked(message, nil) }
        self.init(
            payload: Array(UnsafeRawBufferPointer(start: message.pointee.payload.data, count: message.pointee.payload.len)),
            count: message.pointee.count, delayMilliseconds: message.pointee.delay_ms)
    }

    public func wireBytes() -> [UInt8] {
        payload.withUnsafeBytes { payload in
            var message = Rpctest__EchoRequest()
            rpctest__echo_request__init(&message)
            message.payload = ProtobufCBinaryData(pointingAt: payload)
            message.count = count
            message.delay_ms = delayMilliseconds
            return packed(&message, size: rpctest__echo_request__get_packed_size, pack: rpctest__echo_request__pack)
        }
    }
}

extension EchoResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        guard
            let message = rpctest__echo_response__unpack(
                nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        else {
            throw RPCError(.internal, "could not decode rpctest.EchoResponse: invalid protobuf")
        }
        defer { rpctest__echo_response__free_unpacked(message, nil) }
        self.init(
            payload: Array(UnsafeRawBufferPointer(start: message.pointee.payload.data, count: message.pointee.payload.len)),
            index: message.pointee.index)
    }

    public func wireBytes() -> [UInt8] {
        payload.withUnsafeBytes { payload in
            var message = Rpctest__EchoResponse()
            rpctest__echo_response__init(&message)
            message.payload = ProtobufCBinaryData(pointingAt: payload)
            message.index = index
            return packed(&message, size: rpctest__echo_response__get_packed_size, pack: rpctest__echo_response__pack)
        }
    }
}

/// Encodes `message` with its generated size and pack functions, straight into the array.
private func packed<Message>(
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

extension ProtobufCBinaryData {
    /// Binary data that points at `bytes` without copying; valid while `bytes` is.
    fileprivate init(pointingAt bytes: UnsafeRawBufferPointer) {
        self.init(
            len: bytes.count,
            data: bytes.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) })
    }
}

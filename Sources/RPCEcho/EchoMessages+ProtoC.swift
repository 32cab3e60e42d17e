// The only file of this module that touches protobuf-c structs.
internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

extension EchoRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "rpctest.EchoRequest",
            unpack: rpctest__echo_request__unpack
        ) { message in
            EchoRequest(
                payload: Array(UnsafeRawBufferPointer(start: message.payload.data, count: message.payload.len)),
                count: message.count, delayMilliseconds: message.delay_ms)
        }
    }

    public func wireBytes() -> [UInt8] {
        payload.withUnsafeBytes { payload in
            var message = Rpctest__EchoRequest()
            rpctest__echo_request__init(&message)
            message.payload = ProtobufCBinaryData(pointingAt: payload)
            message.count = count
            message.delay_ms = delayMilliseconds
            return ProtoCMessage.pack(&message, size: rpctest__echo_request__get_packed_size, pack: rpctest__echo_request__pack)
        }
    }
}

extension EchoResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "rpctest.EchoResponse",
            unpack: rpctest__echo_response__unpack
        ) { message in
            EchoResponse(
                payload: Array(UnsafeRawBufferPointer(start: message.payload.data, count: message.payload.len)),
                index: message.index)
        }
    }

    public func wireBytes() -> [UInt8] {
        payload.withUnsafeBytes { payload in
            var message = Rpctest__EchoResponse()
            rpctest__echo_response__init(&message)
            message.payload = ProtobufCBinaryData(pointingAt: payload)
            message.index = index
            return ProtoCMessage.pack(&message, size: rpctest__echo_response__get_packed_size, pack: rpctest__echo_response__pack)
        }
    }
}

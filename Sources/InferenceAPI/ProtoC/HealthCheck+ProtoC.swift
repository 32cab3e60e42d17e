internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

extension HealthCheckRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "grpc.health.v1.HealthCheckRequest",
            unpack: grpc__health__v1__health_check_request__unpack
        ) { HealthCheckRequest(service: ProtoCCodec.string($0.service)) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Grpc__Health__V1__HealthCheckRequest()
            grpc__health__v1__health_check_request__init(&message)
            message.service = arena.string(service)
            return ProtoCMessage.pack(
                &message, size: grpc__health__v1__health_check_request__get_packed_size,
                pack: grpc__health__v1__health_check_request__pack)
        }
    }
}

extension HealthCheckResponse: WireMessage {
    /// Decodes a response; a status number this version does not know reads as UNKNOWN, since
    /// proto3 enums are open.
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "grpc.health.v1.HealthCheckResponse",
            unpack: grpc__health__v1__health_check_response__unpack
        ) { HealthCheckResponse(status: ServingStatus(rawValue: Int($0.status.rawValue)) ?? .unknown) }
    }

    public func wireBytes() -> [UInt8] {
        var message = Grpc__Health__V1__HealthCheckResponse()
        grpc__health__v1__health_check_response__init(&message)
        message.status = Grpc__Health__V1__HealthCheckResponse__ServingStatus(rawValue: numericCast(status.rawValue))
        return ProtoCMessage.pack(
            &message, size: grpc__health__v1__health_check_response__get_packed_size,
            pack: grpc__health__v1__health_check_response__pack)
    }
}

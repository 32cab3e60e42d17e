internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

extension ModelStreamInferResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelStreamInferResponse",
            unpack: inference__model_stream_infer_response__unpack
        ) { (message) throws(RPCError) in
            ModelStreamInferResponse(
                errorMessage: ProtoCCodec.string(message.error_message),
                inferResponse: try message.infer_response.map { (response) throws(RPCError) in
                    try InferResponse(response.pointee)
                })
        }
    }

    public func wireBytes() -> [UInt8] {
        Self.wireBytes(errorMessage: errorMessage, inferResponse: inferResponse?.wireBytes())
    }

    /// The encoding with `inferResponse` already serialized, so a response is never decoded only
    /// to be wrapped: protobuf lets an embedded message's bytes follow as its field.
    public static func wireBytes(errorMessage: String, inferResponse: [UInt8]?) -> [UInt8] {
        var bytes = CArena.with { arena in
            var message = Inference__ModelStreamInferResponse()
            inference__model_stream_infer_response__init(&message)
            message.error_message = arena.string(errorMessage)
            return ProtoCMessage.pack(
                &message, size: inference__model_stream_infer_response__get_packed_size,
                pack: inference__model_stream_infer_response__pack)
        }
        if let inferResponse {
            bytes.reserveCapacity(bytes.count + inferResponse.count + 6)
            bytes.append(Self.inferResponseTag)
            var length = inferResponse.count
            while length >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: length) | 0x80)
                length >>= 7
            }
            bytes.append(UInt8(length))
            bytes.append(contentsOf: inferResponse)
        }
        return bytes
    }

    /// Field 2 (`infer_response`), length-delimited.
    private static let inferResponseTag: UInt8 = 2 << 3 | 2
}

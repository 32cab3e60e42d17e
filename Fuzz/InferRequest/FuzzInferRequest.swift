import FuzzSupport
import InferenceAPI
import RPCCore

/// Fuzzes the protobuf decode and conversion layer (libprotobuf-c plus our mapping to Swift
/// values): any bytes must decode or throw an RPCError. What decodes must re-encode to bytes
/// that decode to the same encoding again (the gateway forwards requests this way), with data
/// in raw or typed contents alike. The same bytes are tried as a ModelInferResponse.
@main
enum FuzzInferRequest {
    static func main() {
        FuzzDriver.run { input in
            var accepted = false
            if let request = try? InferRequest(wireBytes: input) {
                let raw = request.wireBytes()
                precondition(reencoded(InferRequest.self, raw) == raw, "request raw encoding is not stable")
                let typed = request.wireBytes(useTypedContents: true)
                precondition(reencoded(InferRequest.self, typed) == raw, "request typed encoding decodes differently")
                for tensor in request.inputs { exercise(tensor) }
                accepted = !request.modelName.isEmpty
            }
            if let response = try? InferResponse(wireBytes: input) {
                let raw = response.wireBytes()
                precondition(reencoded(InferResponse.self, raw) == raw, "response encoding is not stable")
                for tensor in response.outputs { exercise(tensor) }
                accepted = accepted || !response.outputs.isEmpty
            }
            return accepted
        }
    }

    /// Decodes `bytes` (which our own encoder wrote, so they must decode) and encodes them again.
    static func reencoded<Message: WireMessage>(_ type: Message.Type, _ bytes: [UInt8]) -> [UInt8] {
        do {
            return try Message(wireBytes: bytes).wireBytes()
        } catch {
            preconditionFailure("our own encoding of a \(type) does not decode: \(error)")
        }
    }

    /// Reads a decoded tensor's elements the ways handlers do; decoded data is already checked.
    static func exercise(_ tensor: InferTensor) {
        do {
            try tensor.validate()
            _ = try tensor.elementCount()
        } catch {
            preconditionFailure("a decoded tensor fails validation: \(error)")
        }
        switch tensor.datatype {
        case .bytes: _ = try? tensor.bytesElements()
        case .bool: _ = try? tensor.bools()
        case .fp32: _ = try? tensor.values(as: Float.self)
        case .int64: _ = try? tensor.values(as: Int64.self)
        default: break
        }
    }
}

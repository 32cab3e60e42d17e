internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

extension InferResponse: WireMessage {
    /// Decodes a response whose outputs come in `raw_output_contents` (one entry per output, in
    /// order) or in typed `contents`, as Triton and other peers may send either.
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelInferResponse",
            unpack: inference__model_infer_response__unpack
        ) { (message) throws(RPCError) in try InferResponse(message) }
    }

    init(_ message: Inference__ModelInferResponse) throws(RPCError) {
        let rawCount = message.n_raw_output_contents
        if rawCount > 0, rawCount != message.n_outputs {
            throw RPCError(
                .invalidArgument,
                "raw_output_contents has \(rawCount) entries but the response has \(message.n_outputs) outputs; "
                    + "expected one entry per output, in output order")
        }
        var outputs: [InferTensor] = []
        outputs.reserveCapacity(message.n_outputs)
        for index in 0..<message.n_outputs {
            guard let output = message.outputs[index]?.pointee else { continue }
            let raw = rawCount > 0 ? message.raw_output_contents[index].bytes : nil
            outputs.append(try InferTensor(output, raw: raw, index: index, role: .output))
        }
        self.init(
            modelName: ProtoCCodec.string(message.model_name),
            modelVersion: ProtoCCodec.string(message.model_version),
            id: ProtoCCodec.string(message.id),
            parameters: try ParameterMap.decode(message.parameters, count: message.n_parameters, owner: "response"),
            outputs: outputs)
    }

    /// Encodes the response with every output in `raw_output_contents`.
    public func wireBytes() -> [UInt8] {
        wireBytes(useTypedContents: false)
    }

    /// Typed contents are for tests of decoders only: servers answer with raw contents, which
    /// every KServe client reads and which costs no per-element conversion.
    func wireBytes(useTypedContents: Bool) -> [UInt8] {
        let typed = useTypedContents && outputs.allSatisfy { $0.datatype.contentsFieldName != nil }
        return CArena.with { arena in
            ProtoCCodec.withStableBytes(outputs.map(\.data), arena: arena) { data in
                var message = Inference__ModelInferResponse()
                inference__model_infer_response__init(&message)
                message.model_name = arena.string(modelName)
                message.model_version = arena.string(modelVersion)
                message.id = arena.string(id)
                (message.n_parameters, message.parameters) = ParameterMap.encode(parameters, arena: arena)

                message.n_outputs = outputs.count
                message.outputs = arena.allocate(
                    UnsafeMutablePointer<Inference__ModelInferResponse__InferOutputTensor>?.self, count: outputs.count)
                for (index, output) in outputs.enumerated() {
                    let tensor = arena.allocate(Inference__ModelInferResponse__InferOutputTensor.self)
                    output.fill(tensor, data: data[index], typed: typed, arena: arena)
                    message.outputs[index] = tensor
                }
                if !typed, !outputs.isEmpty {
                    message.n_raw_output_contents = outputs.count
                    message.raw_output_contents = arena.copy(data.map(ProtobufCBinaryData.init(pointingAt:)))
                }
                return ProtoCMessage.pack(
                    &message, size: inference__model_infer_response__get_packed_size,
                    pack: inference__model_infer_response__pack)
            }
        }
    }
}

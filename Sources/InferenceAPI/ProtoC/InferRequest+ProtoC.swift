internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

extension InferRequest: WireMessage {
    /// Decodes a request whose inputs come in `raw_input_contents` (one entry per input, in
    /// order) or in typed `contents`; both become raw little-endian `data`.
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelInferRequest",
            unpack: inference__model_infer_request__unpack
        ) { (message) throws(RPCError) in try InferRequest(message) }
    }

    private init(_ message: Inference__ModelInferRequest) throws(RPCError) {
        let rawCount = message.n_raw_input_contents
        if rawCount > 0, rawCount != message.n_inputs {
            throw RPCError(
                .invalidArgument,
                "raw_input_contents has \(rawCount) entries but the request has \(message.n_inputs) inputs; "
                    + "send one entry per input, in input order")
        }
        var inputs: [InferTensor] = []
        inputs.reserveCapacity(message.n_inputs)
        for index in 0..<message.n_inputs {
            guard let input = message.inputs[index]?.pointee else { continue }
            let raw = rawCount > 0 ? message.raw_input_contents[index].bytes : nil
            inputs.append(try InferTensor(input, raw: raw, index: index, role: .input))
        }
        var outputs: [RequestedOutput] = []
        outputs.reserveCapacity(message.n_outputs)
        for index in 0..<message.n_outputs {
            guard let output = message.outputs[index]?.pointee else { continue }
            let name = ProtoCCodec.string(output.name)
            let parameters = try ParameterMap.decode(
                output.parameters, count: output.n_parameters, owner: "requested output '\(name)'")
            outputs.append(RequestedOutput(name: name, parameters: parameters))
        }
        self.init(
            modelName: ProtoCCodec.string(message.model_name),
            modelVersion: ProtoCCodec.string(message.model_version),
            id: ProtoCCodec.string(message.id),
            parameters: try ParameterMap.decode(message.parameters, count: message.n_parameters, owner: "request"),
            inputs: inputs, outputs: outputs)
    }

    /// Encodes the request with every input in `raw_input_contents`, as KServe clients do.
    public func wireBytes() -> [UInt8] {
        wireBytes(useTypedContents: false)
    }

    /// Encodes the request, with input data in typed `contents` when `useTypedContents` is true
    /// (for peers that prefer it) or else in `raw_input_contents`.
    ///
    /// The protocol forbids mixing the two in one request, so when an input's datatype has no
    /// typed field (FP16, BF16) the whole request is sent raw.
    public func wireBytes(useTypedContents: Bool) -> [UInt8] {
        let typed = useTypedContents && inputs.allSatisfy { $0.datatype.contentsFieldName != nil }
        return CArena.with { arena in
            ProtoCCodec.withStableBytes(inputs.map(\.data), arena: arena) { data in
                var message = Inference__ModelInferRequest()
                inference__model_infer_request__init(&message)
                message.model_name = arena.string(modelName)
                message.model_version = arena.string(modelVersion)
                message.id = arena.string(id)
                (message.n_parameters, message.parameters) = ParameterMap.encode(parameters, arena: arena)

                message.n_inputs = inputs.count
                message.inputs = arena.allocate(
                    UnsafeMutablePointer<Inference__ModelInferRequest__InferInputTensor>?.self, count: inputs.count)
                for (index, input) in inputs.enumerated() {
                    let tensor = arena.allocate(Inference__ModelInferRequest__InferInputTensor.self)
                    input.fill(tensor, data: data[index], typed: typed, arena: arena)
                    message.inputs[index] = tensor
                }
                if !typed, !inputs.isEmpty {
                    message.n_raw_input_contents = inputs.count
                    message.raw_input_contents = arena.copy(data.map(ProtobufCBinaryData.init(pointingAt:)))
                }

                message.n_outputs = outputs.count
                message.outputs = arena.allocate(
                    UnsafeMutablePointer<Inference__ModelInferRequest__InferRequestedOutputTensor>?.self,
                    count: outputs.count)
                for (index, output) in outputs.enumerated() {
                    let tensor = arena.allocate(Inference__ModelInferRequest__InferRequestedOutputTensor.self)
                    inference__model_infer_request__infer_requested_output_tensor__init(tensor)
                    tensor.pointee.name = arena.string(output.name)
                    (tensor.pointee.n_parameters, tensor.pointee.parameters) =
                        ParameterMap.encode(output.parameters, arena: arena)
                    message.outputs[index] = tensor
                }
                return ProtoCMessage.pack(
                    &message, size: inference__model_infer_request__get_packed_size,
                    pack: inference__model_infer_request__pack)
            }
        }
    }
}

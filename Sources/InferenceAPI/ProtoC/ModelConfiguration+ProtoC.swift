internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

extension ModelConfigRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelConfigRequest", unpack: inference__model_config_request__unpack
        ) { ModelConfigRequest(name: ProtoCCodec.string($0.name), version: ProtoCCodec.string($0.version)) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__ModelConfigRequest()
            inference__model_config_request__init(&message)
            message.name = arena.string(name)
            message.version = arena.string(version)
            return ProtoCMessage.pack(
                &message, size: inference__model_config_request__get_packed_size, pack: inference__model_config_request__pack)
        }
    }
}

extension ModelConfigResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelConfigResponse", unpack: inference__model_config_response__unpack
        ) { (response) throws(RPCError) in
            guard let config = response.config?.pointee else {
                throw RPCError(.internal, "inference.ModelConfigResponse has no config")
            }
            var policy = VersionPolicy.all
            if let choice = config.version_policy?.pointee {
                if let latest = choice.latest?.pointee {
                    policy = .latest(Int(latest.num_versions))
                } else if let specific = choice.specific?.pointee {
                    policy = .specific(ProtoCCodec.array(specific.versions, count: specific.n_versions))
                }
            }
            var batching: DynamicBatching?
            if let dynamic = config.dynamic_batching?.pointee {
                batching = DynamicBatching(
                    preferredBatchSizes: ProtoCCodec.array(dynamic.preferred_batch_size, count: dynamic.n_preferred_batch_size),
                    maxQueueDelayMicroseconds: dynamic.max_queue_delay_microseconds)
            }
            var inputs: [Tensor] = []
            for index in 0..<config.n_input {
                guard let input = config.input[index]?.pointee else { continue }
                inputs.append(
                    Tensor(
                        name: ProtoCCodec.string(input.name), datatype: try Self.datatype(input.data_type),
                        dims: ProtoCCodec.array(input.dims, count: input.n_dims)))
            }
            var outputs: [Tensor] = []
            for index in 0..<config.n_output {
                guard let output = config.output[index]?.pointee else { continue }
                outputs.append(
                    Tensor(
                        name: ProtoCCodec.string(output.name), datatype: try Self.datatype(output.data_type),
                        dims: ProtoCCodec.array(output.dims, count: output.n_dims)))
            }
            return ModelConfigResponse(
                name: ProtoCCodec.string(config.name), platform: ProtoCCodec.string(config.platform),
                backend: ProtoCCodec.string(config.backend), versionPolicy: policy, maxBatchSize: config.max_batch_size,
                inputs: inputs, outputs: outputs, dynamicBatching: batching)
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            let config = arena.allocate(Inference__ModelConfig.self)
            inference__model_config__init(config)
            config.pointee.name = arena.string(name)
            config.pointee.platform = arena.string(platform)
            config.pointee.backend = arena.string(backend)
            config.pointee.max_batch_size = maxBatchSize
            let policy = arena.allocate(Inference__ModelVersionPolicy.self)
            inference__model_version_policy__init(policy)
            switch versionPolicy {
            case .latest(let count):
                let latest = arena.allocate(Inference__ModelVersionPolicy__Latest.self)
                inference__model_version_policy__latest__init(latest)
                latest.pointee.num_versions = UInt32(clamping: count)
                policy.pointee.policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_LATEST
                policy.pointee.latest = latest
            case .all:
                let all = arena.allocate(Inference__ModelVersionPolicy__All.self)
                inference__model_version_policy__all__init(all)
                policy.pointee.policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_ALL
                policy.pointee.all = all
            case .specific(let versions):
                let specific = arena.allocate(Inference__ModelVersionPolicy__Specific.self)
                inference__model_version_policy__specific__init(specific)
                specific.pointee.n_versions = versions.count
                specific.pointee.versions = arena.copy(versions)
                policy.pointee.policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_SPECIFIC
                policy.pointee.specific = specific
            }
            config.pointee.version_policy = policy
            if let dynamicBatching {
                let batching = arena.allocate(Inference__ModelDynamicBatching.self)
                inference__model_dynamic_batching__init(batching)
                batching.pointee.n_preferred_batch_size = dynamicBatching.preferredBatchSizes.count
                batching.pointee.preferred_batch_size = arena.copy(dynamicBatching.preferredBatchSizes)
                batching.pointee.max_queue_delay_microseconds = dynamicBatching.maxQueueDelayMicroseconds
                config.pointee.dynamic_batching = batching
            }
            config.pointee.n_input = inputs.count
            config.pointee.input = arena.allocate(UnsafeMutablePointer<Inference__ModelInput>?.self, count: inputs.count)
            for (index, tensor) in inputs.enumerated() {
                let input = arena.allocate(Inference__ModelInput.self)
                inference__model_input__init(input)
                input.pointee.name = arena.string(tensor.name)
                input.pointee.data_type = Self.wireType(tensor.datatype)
                input.pointee.n_dims = tensor.dims.count
                input.pointee.dims = arena.copy(tensor.dims)
                config.pointee.input[index] = input
            }
            config.pointee.n_output = outputs.count
            config.pointee.output = arena.allocate(UnsafeMutablePointer<Inference__ModelOutput>?.self, count: outputs.count)
            for (index, tensor) in outputs.enumerated() {
                let output = arena.allocate(Inference__ModelOutput.self)
                inference__model_output__init(output)
                output.pointee.name = arena.string(tensor.name)
                output.pointee.data_type = Self.wireType(tensor.datatype)
                output.pointee.n_dims = tensor.dims.count
                output.pointee.dims = arena.copy(tensor.dims)
                config.pointee.output[index] = output
            }
            var message = Inference__ModelConfigResponse()
            inference__model_config_response__init(&message)
            message.config = config
            return ProtoCMessage.pack(
                &message, size: inference__model_config_response__get_packed_size, pack: inference__model_config_response__pack)
        }
    }

    /// Triton's `DataType` values, in `TensorDataType` order (BYTES is TYPE_STRING).
    private static let wireTypes: [(TensorDataType, UInt32)] = [
        (.bool, 1), (.uint8, 2), (.uint16, 3), (.uint32, 4), (.uint64, 5), (.int8, 6), (.int16, 7), (.int32, 8),
        (.int64, 9), (.fp16, 10), (.fp32, 11), (.fp64, 12), (.bytes, 13), (.bf16, 14),
    ]

    private static func wireType(_ datatype: TensorDataType) -> Inference__DataType {
        Inference__DataType(rawValue: wireTypes.first { $0.0 == datatype }?.1 ?? 0)
    }

    private static func datatype(_ wire: Inference__DataType) throws(RPCError) -> TensorDataType {
        guard let match = wireTypes.first(where: { $0.1 == wire.rawValue }) else {
            throw RPCError(.internal, "inference.ModelConfig has unknown data type \(wire.rawValue)")
        }
        return match.0
    }
}

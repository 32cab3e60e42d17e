internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

extension RepositoryIndexRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.RepositoryIndexRequest", unpack: inference__repository_index_request__unpack
        ) { RepositoryIndexRequest(repositoryName: ProtoCCodec.string($0.repository_name), ready: $0.ready != 0) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__RepositoryIndexRequest()
            inference__repository_index_request__init(&message)
            message.repository_name = arena.string(repositoryName)
            message.ready = ready ? 1 : 0
            return ProtoCMessage.pack(
                &message, size: inference__repository_index_request__get_packed_size,
                pack: inference__repository_index_request__pack)
        }
    }
}

extension RepositoryIndexResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.RepositoryIndexResponse", unpack: inference__repository_index_response__unpack
        ) { response in
            var models: [Entry] = []
            for index in 0..<response.n_models {
                guard let entry = response.models[index]?.pointee else { continue }
                models.append(
                    Entry(
                        name: ProtoCCodec.string(entry.name), version: ProtoCCodec.string(entry.version),
                        state: ProtoCCodec.string(entry.state), reason: ProtoCCodec.string(entry.reason)))
            }
            return RepositoryIndexResponse(models: models)
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__RepositoryIndexResponse()
            inference__repository_index_response__init(&message)
            message.n_models = models.count
            message.models = arena.allocate(
                UnsafeMutablePointer<Inference__RepositoryIndexResponse__ModelIndex>?.self, count: models.count)
            for (index, model) in models.enumerated() {
                let entry = arena.allocate(Inference__RepositoryIndexResponse__ModelIndex.self)
                inference__repository_index_response__model_index__init(entry)
                entry.pointee.name = arena.string(model.name)
                entry.pointee.version = arena.string(model.version)
                entry.pointee.state = arena.string(model.state)
                entry.pointee.reason = arena.string(model.reason)
                message.models[index] = entry
            }
            return ProtoCMessage.pack(
                &message, size: inference__repository_index_response__get_packed_size,
                pack: inference__repository_index_response__pack)
        }
    }
}

extension RepositoryModelLoadRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.RepositoryModelLoadRequest", unpack: inference__repository_model_load_request__unpack
        ) { (request) throws(RPCError) in
            RepositoryModelLoadRequest(
                repositoryName: ProtoCCodec.string(request.repository_name), modelName: ProtoCCodec.string(request.model_name),
                parameters: try RepositoryParameterMap.decode(request.parameters, count: request.n_parameters))
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__RepositoryModelLoadRequest()
            inference__repository_model_load_request__init(&message)
            message.repository_name = arena.string(repositoryName)
            message.model_name = arena.string(modelName)
            (message.n_parameters, message.parameters) = RepositoryParameterMap.encode(parameters, arena: arena)
            return ProtoCMessage.pack(
                &message, size: inference__repository_model_load_request__get_packed_size,
                pack: inference__repository_model_load_request__pack)
        }
    }
}

extension RepositoryModelUnloadRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.RepositoryModelUnloadRequest",
            unpack: inference__repository_model_unload_request__unpack
        ) { (request) throws(RPCError) in
            RepositoryModelUnloadRequest(
                repositoryName: ProtoCCodec.string(request.repository_name), modelName: ProtoCCodec.string(request.model_name),
                parameters: try RepositoryParameterMap.decode(request.parameters, count: request.n_parameters))
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__RepositoryModelUnloadRequest()
            inference__repository_model_unload_request__init(&message)
            message.repository_name = arena.string(repositoryName)
            message.model_name = arena.string(modelName)
            (message.n_parameters, message.parameters) = RepositoryParameterMap.encode(parameters, arena: arena)
            return ProtoCMessage.pack(
                &message, size: inference__repository_model_unload_request__get_packed_size,
                pack: inference__repository_model_unload_request__pack)
        }
    }
}

extension RepositoryModelLoadResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        try ProtoCMessage.unpack(
            bytes, messageName: "inference.RepositoryModelLoadResponse",
            unpack: inference__repository_model_load_response__unpack
        ) { _ in }
    }

    public func wireBytes() -> [UInt8] { [] }
}

extension RepositoryModelUnloadResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        try ProtoCMessage.unpack(
            bytes, messageName: "inference.RepositoryModelUnloadResponse",
            unpack: inference__repository_model_unload_response__unpack
        ) { _ in }
    }

    public func wireBytes() -> [UInt8] { [] }
}

/// The load and unload requests' generated `ParametersEntry` structs share one shape.
protocol CRepositoryParameterEntry {
    var key: UnsafeMutablePointer<CChar>! { get set }
    var value: UnsafeMutablePointer<Inference__ModelRepositoryParameter>! { get set }
    static func initialize(_ entry: UnsafeMutablePointer<Self>)
}

extension Inference__RepositoryModelLoadRequest__ParametersEntry: CRepositoryParameterEntry {
    static func initialize(_ entry: UnsafeMutablePointer<Self>) {
        inference__repository_model_load_request__parameters_entry__init(entry)
    }
}

extension Inference__RepositoryModelUnloadRequest__ParametersEntry: CRepositoryParameterEntry {
    static func initialize(_ entry: UnsafeMutablePointer<Self>) {
        inference__repository_model_unload_request__parameters_entry__init(entry)
    }
}

/// `map<string, ModelRepositoryParameter>` conversion.
enum RepositoryParameterMap {
    static func decode<Entry: CRepositoryParameterEntry>(
        _ entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?, count: Int
    ) throws(RPCError) -> [String: ModelRepositoryParameter] {
        guard count > 0, let entries else { return [:] }
        var parameters: [String: ModelRepositoryParameter] = [:]
        for index in 0..<count {
            guard let entry = entries[index]?.pointee else { continue }
            let key = ProtoCCodec.string(entry.key)
            guard let value = entry.value?.pointee else {
                throw RPCError(.invalidArgument, "repository parameter '\(key)' has no value")
            }
            switch value.parameter_choice_case {
            case INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM:
                parameters[key] = .bool(value.bool_param != 0)
            case INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_INT64_PARAM:
                parameters[key] = .int64(value.int64_param)
            case INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_STRING_PARAM:
                parameters[key] = .string(ProtoCCodec.string(value.string_param))
            case INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_BYTES_PARAM:
                parameters[key] = .bytes(ProtoCCodec.array(value.bytes_param.data, count: value.bytes_param.len))
            default:
                throw RPCError(
                    .invalidArgument,
                    "repository parameter '\(key)' has no value: set one of bool_param, int64_param, string_param, bytes_param")
            }
        }
        return parameters
    }

    static func encode<Entry: CRepositoryParameterEntry>(
        _ parameters: [String: ModelRepositoryParameter], arena: CArena
    ) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?) {
        guard !parameters.isEmpty else { return (0, nil) }
        let entries = arena.allocate(UnsafeMutablePointer<Entry>?.self, count: parameters.count)
        for (index, key) in parameters.keys.sorted().enumerated() {
            let entry = arena.allocate(Entry.self)
            Entry.initialize(entry)
            entry.pointee.key = arena.string(key)
            let value = arena.allocate(Inference__ModelRepositoryParameter.self)
            inference__model_repository_parameter__init(value)
            switch parameters[key]! {
            case .bool(let flag):
                value.pointee.parameter_choice_case = INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM
                value.pointee.bool_param = flag ? 1 : 0
            case .int64(let number):
                value.pointee.parameter_choice_case = INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_INT64_PARAM
                value.pointee.int64_param = number
            case .string(let text):
                value.pointee.parameter_choice_case = INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_STRING_PARAM
                value.pointee.string_param = arena.string(text)
            case .bytes(let bytes):
                value.pointee.parameter_choice_case = INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_BYTES_PARAM
                value.pointee.bytes_param = bytes.withUnsafeBytes { arena.binary(copying: $0) }
            }
            entry.pointee.value = value
            entries[index] = entry
        }
        return (parameters.count, entries)
    }
}

internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

/// The five generated `...ParametersEntry` structs (request, response, input, output, requested
/// output) share one shape, so one generic map conversion serves them all.
protocol CParameterEntry {
    var key: UnsafeMutablePointer<CChar>! { get set }
    var value: UnsafeMutablePointer<Inference__InferParameter>! { get set }
    /// Calls the generated `..._init`, which sets the descriptor.
    static func initialize(_ entry: UnsafeMutablePointer<Self>)
}

extension Inference__ModelInferRequest__ParametersEntry: CParameterEntry {
    static func initialize(_ entry: UnsafeMutablePointer<Self>) {
        inference__model_infer_request__parameters_entry__init(entry)
    }
}

extension Inference__ModelInferRequest__InferInputTensor__ParametersEntry: CParameterEntry {
    static func initialize(_ entry: UnsafeMutablePointer<Self>) {
        inference__model_infer_request__infer_input_tensor__parameters_entry__init(entry)
    }
}

extension Inference__ModelInferRequest__InferRequestedOutputTensor__ParametersEntry: CParameterEntry {
    static func initialize(_ entry: UnsafeMutablePointer<Self>) {
        inference__model_infer_request__infer_requested_output_tensor__parameters_entry__init(entry)
    }
}

extension Inference__ModelInferResponse__ParametersEntry: CParameterEntry {
    static func initialize(_ entry: UnsafeMutablePointer<Self>) {
        inference__model_infer_response__parameters_entry__init(entry)
    }
}

extension Inference__ModelInferResponse__InferOutputTensor__ParametersEntry: CParameterEntry {
    static func initialize(_ entry: UnsafeMutablePointer<Self>) {
        inference__model_infer_response__infer_output_tensor__parameters_entry__init(entry)
    }
}

extension InferParameter {
    /// Reads one parameter; INVALID_ARGUMENT naming `owner` and `key` when no kind is set, since
    /// an empty value means nothing to any handler.
    init(_ parameter: Inference__InferParameter, key: String, owner: String) throws(RPCError) {
        switch parameter.parameter_choice_case {
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM:
            self = .bool(parameter.bool_param != 0)
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM:
            self = .int64(parameter.int64_param)
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM:
            self = .string(ProtoCCodec.string(parameter.string_param))
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_DOUBLE_PARAM:
            self = .double(parameter.double_param)
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM:
            self = .uint64(parameter.uint64_param)
        default:
            throw RPCError(
                .invalidArgument,
                "\(owner) parameter '\(key)' has no value: set one of bool_param, int64_param, "
                    + "string_param, double_param, uint64_param")
        }
    }

    /// Fills a zeroed C parameter with this value.
    func fill(_ parameter: UnsafeMutablePointer<Inference__InferParameter>, arena: CArena) {
        inference__infer_parameter__init(parameter)
        switch self {
        case .bool(let value):
            parameter.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM
            parameter.pointee.bool_param = value ? 1 : 0
        case .int64(let value):
            parameter.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM
            parameter.pointee.int64_param = value
        case .string(let value):
            parameter.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM
            parameter.pointee.string_param = arena.string(value)
        case .double(let value):
            parameter.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_DOUBLE_PARAM
            parameter.pointee.double_param = value
        case .uint64(let value):
            parameter.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM
            parameter.pointee.uint64_param = value
        }
    }
}

/// Map conversion for `map<string, InferParameter>` fields.
enum ParameterMap {
    /// Reads a map; a repeated key keeps its last value, as protobuf maps do.
    static func decode<Entry: CParameterEntry>(
        _ entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?, count: Int, owner: String
    ) throws(RPCError) -> [String: InferParameter] {
        guard count > 0, let entries else { return [:] }
        var parameters: [String: InferParameter] = [:]
        parameters.reserveCapacity(count)
        for index in 0..<count {
            guard let entry = entries[index]?.pointee else { continue }
            let key = ProtoCCodec.string(entry.key)
            guard let value = entry.value?.pointee else {
                throw RPCError(.invalidArgument, "\(owner) parameter '\(key)' has no value")
            }
            parameters[key] = try InferParameter(value, key: key, owner: owner)
        }
        return parameters
    }

    /// Builds a C map in `arena`, keys sorted so the encoding is deterministic.
    static func encode<Entry: CParameterEntry>(
        _ parameters: [String: InferParameter], arena: CArena, as entryType: Entry.Type = Entry.self
    ) -> (count: Int, entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?) {
        guard !parameters.isEmpty else { return (0, nil) }
        let entries = arena.allocate(UnsafeMutablePointer<Entry>?.self, count: parameters.count)
        for (index, key) in parameters.keys.sorted().enumerated() {
            let entry = arena.allocate(Entry.self)
            Entry.initialize(entry)
            entry.pointee.key = arena.string(key)
            let value = arena.allocate(Inference__InferParameter.self)
            parameters[key]!.fill(value, arena: arena)
            entry.pointee.value = value
            entries[index] = entry
        }
        return (parameters.count, entries)
    }
}

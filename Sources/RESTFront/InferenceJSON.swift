import InferenceAPI
import JSONDocument
import RPCCore

/// KServe V2 REST inference bodies to and from `InferRequest`/`InferResponse`, with Triton's
/// binary tensor data extension: a JSON header of `Inference-Header-Content-Length` bytes, then
/// the raw little-endian tensors (BYTES elements each behind a 4-byte length) in input order.
enum InferenceJSON {
    /// Which outputs the caller wants as binary data.
    struct BinaryOutputs: Sendable {
        var all = false
        var named: [String: Bool] = [:]

        func wants(_ output: String) -> Bool { named[output] ?? all }
    }

    /// The request in `body` for `model` (and `version`, empty for the server's choice);
    /// `headerLength` is the JSON header's size when the body carries binary tensors.
    static func request(
        body: [UInt8], headerLength: Int?, model: String, version: String
    ) throws(RPCError) -> (InferRequest, BinaryOutputs) {
        let jsonLength = headerLength ?? body.count
        guard jsonLength >= 0, jsonLength <= body.count else {
            throw RPCError(
                .invalidArgument, "Inference-Header-Content-Length is \(jsonLength) but the body has \(body.count) bytes")
        }
        let object = try parseObject(body, count: jsonLength, what: "request body")
        var request = InferRequest(modelName: model, modelVersion: version)
        var binary = BinaryOutputs()
        if let id = object.member("id") {
            guard case .string(let id) = id else { throw RPCError(.invalidArgument, "id must be a string") }
            request.id = id
        }
        var parameters = try self.parameters(object.member("parameters"), what: "request parameters")
        if case .bool(let all)? = parameters.removeValue(forKey: "binary_data_output") { binary.all = all }
        request.parameters = parameters

        guard case .array(let inputs)? = object.member("inputs"), !inputs.isEmpty else {
            throw RPCError(.invalidArgument, "inputs must be a non-empty array of tensors")
        }
        var offset = jsonLength
        request.inputs.reserveCapacity(inputs.count)
        for (index, item) in inputs.enumerated() {
            request.inputs.append(try input(item, index: index, body: body, offset: &offset))
        }
        guard offset == body.count else {
            throw RPCError(.invalidArgument, "the body has \(body.count - offset) bytes of binary data that no input claims")
        }
        if let outputs = object.member("outputs") {
            guard case .array(let outputs) = outputs else { throw RPCError(.invalidArgument, "outputs must be an array") }
            for (index, item) in outputs.enumerated() {
                guard case .object = item, case .string(let name)? = item.member("name") else {
                    throw RPCError(.invalidArgument, "outputs[\(index)] needs a name")
                }
                var parameters = try self.parameters(item.member("parameters"), what: "output '\(name)' parameters")
                if case .bool(let wanted)? = parameters.removeValue(forKey: "binary_data") { binary.named[name] = wanted }
                request.outputs.append(RequestedOutput(name: name, parameters: parameters))
            }
        }
        return (request, binary)
    }

    /// The response body and, when any output went binary, the JSON header's length.
    static func response(_ response: InferResponse, binary: BinaryOutputs) throws(RPCError) -> (body: [UInt8], headerLength: Int?)
    {
        // About three characters per byte of a float or integer tensor written as JSON.
        let estimate = response.outputs.reduce(128) { $0 + 128 + (binary.wants($1.name) ? $1.data.count : 3 * $1.data.count) }
        var json = JSONBytes(capacity: estimate)
        json.append("{\"model_name\":")
        json.string(response.modelName)
        json.append(",\"model_version\":")
        json.string(response.modelVersion)
        if !response.id.isEmpty {
            json.append(",\"id\":")
            json.string(response.id)
        }
        if !response.parameters.isEmpty {
            json.append(",\"parameters\":")
            parametersJSON(response.parameters, to: &json)
        }
        json.append(",\"outputs\":[")
        var anyBinary = false
        for (index, output) in response.outputs.enumerated() {
            if index > 0 { json.append(",") }
            json.append("{\"name\":")
            json.string(output.name)
            json.append(",\"datatype\":")
            json.string(output.datatype.rawValue)
            json.append(",\"shape\":[")
            for (position, dimension) in output.shape.enumerated() {
                if position > 0 { json.append(",") }
                json.integer(dimension)
            }
            json.append("]")
            let wantsBinary = binary.wants(output.name)
            var parameters = output.parameters
            if wantsBinary {
                anyBinary = true
                parameters["binary_data_size"] = .int64(Int64(output.data.count))
            }
            if !parameters.isEmpty {
                json.append(",\"parameters\":")
                parametersJSON(parameters, to: &json)
            }
            if !wantsBinary {
                json.append(",\"data\":")
                try TensorJSON.data(of: output, to: &json)
            }
            json.append("}")
        }
        json.append("]}")
        guard anyBinary else { return (json.bytes, nil) }
        let headerLength = json.bytes.count
        for output in response.outputs where binary.wants(output.name) { json.raw(output.data) }
        return (json.bytes, headerLength)
    }

    /// The JSON object in the first `count` bytes of `bytes`; INVALID_ARGUMENT naming `what` otherwise.
    static func parseObject(_ bytes: [UInt8], count: Int, what: String) throws(RPCError) -> JSONValue {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(bytes, count: count)
        } catch {
            throw RPCError(.invalidArgument, "\(what) is not valid JSON: \(error.message)")
        }
        guard case .object = parsed else { throw RPCError(.invalidArgument, "\(what) must be a JSON object") }
        return parsed
    }

    // MARK: Parts

    private static func input(_ item: JSONValue, index: Int, body: [UInt8], offset: inout Int) throws(RPCError) -> InferTensor {
        guard case .object = item else { throw RPCError(.invalidArgument, "inputs[\(index)] must be an object") }
        guard case .string(let name)? = item.member("name") else {
            throw RPCError(.invalidArgument, "inputs[\(index)] needs a name")
        }
        let label = "input '\(name)'"
        guard case .string(let datatypeName)? = item.member("datatype") else {
            throw RPCError(.invalidArgument, "\(label) needs a datatype")
        }
        let datatype = try TensorDataType(wireName: datatypeName, tensor: label)
        guard case .array(let shapeValues)? = item.member("shape") else {
            throw RPCError(.invalidArgument, "\(label) needs a shape")
        }
        var shape: [Int64] = []
        shape.reserveCapacity(shapeValues.count)
        for value in shapeValues {
            guard case .number(let text) = value, let integer = JSONNumber.integer(text), let dimension = Int64(exactly: integer)
            else { throw RPCError(.invalidArgument, "\(label) has a shape entry that is not an integer") }
            shape.append(dimension)
        }
        var parameters = try self.parameters(item.member("parameters"), what: "\(label) parameters")
        var tensor = InferTensor(name: name, datatype: datatype, shape: shape)
        if let size = parameters.removeValue(forKey: "binary_data_size") {
            let count: Int
            switch size {
            case .int64(let value) where value >= 0: count = Int(value)
            case .uint64(let value) where value <= UInt64(Int.max): count = Int(value)
            default: throw RPCError(.invalidArgument, "\(label) binary_data_size must be a non-negative integer")
            }
            guard count <= body.count - offset else {
                throw RPCError(
                    .invalidArgument, "\(label) needs \(count) bytes of binary data but \(body.count - offset) are left")
            }
            tensor.data = Array(body[offset..<(offset + count)])
            offset += count
        } else {
            guard let data = item.member("data") else {
                throw RPCError(.invalidArgument, "\(label) has neither data nor binary_data_size")
            }
            tensor.data = try TensorJSON.contents(of: data, datatype: datatype, shape: shape, tensor: label)
        }
        tensor.parameters = parameters
        return tensor
    }

    static func parameters(_ value: JSONValue?, what: String) throws(RPCError) -> [String: InferParameter] {
        guard let value else { return [:] }
        guard case .object(let members) = value else { throw RPCError(.invalidArgument, "\(what) must be an object") }
        var parameters: [String: InferParameter] = [:]
        for member in members {
            switch member.value {
            case .string(let text): parameters[member.key] = .string(text)
            case .bool(let flag): parameters[member.key] = .bool(flag)
            case .number(let text): parameters[member.key] = JSONNumber.parameter(text)
            default: throw RPCError(.invalidArgument, "\(what): '\(member.key)' must be a string, number or boolean")
            }
        }
        return parameters
    }

    static func parametersJSON(_ parameters: [String: InferParameter], to json: inout JSONBytes) {
        json.append("{")
        for (index, (key, value)) in parameters.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { json.append(",") }
            json.string(key)
            json.append(":")
            switch value {
            case .bool(let flag): json.append(flag ? "true" : "false")
            case .int64(let number): json.integer(number)
            case .uint64(let number): json.integer(number)
            case .double(let number): json.number(number)
            case .string(let string): json.string(string)
            }
        }
        json.append("}")
    }
}

import Foundation
import InferenceAPI
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
        let object = try parseObject(body[0..<jsonLength], what: "request body")
        var request = InferRequest(modelName: model, modelVersion: version)
        var binary = BinaryOutputs()
        if let id = object["id"] {
            guard let id = id as? String else { throw RPCError(.invalidArgument, "id must be a string") }
            request.id = id
        }
        var parameters = try self.parameters(object["parameters"], what: "request parameters")
        if case .bool(let all)? = parameters.removeValue(forKey: "binary_data_output") { binary.all = all }
        request.parameters = parameters

        guard let inputs = object["inputs"] as? [Any], !inputs.isEmpty else {
            throw RPCError(.invalidArgument, "inputs must be a non-empty array of tensors")
        }
        var offset = jsonLength
        for (index, item) in inputs.enumerated() {
            request.inputs.append(try input(item, index: index, body: body, offset: &offset))
        }
        guard offset == body.count else {
            throw RPCError(.invalidArgument, "the body has \(body.count - offset) bytes of binary data that no input claims")
        }
        if let outputs = object["outputs"] {
            guard let outputs = outputs as? [Any] else { throw RPCError(.invalidArgument, "outputs must be an array") }
            for (index, item) in outputs.enumerated() {
                guard let output = item as? [String: Any], let name = output["name"] as? String else {
                    throw RPCError(.invalidArgument, "outputs[\(index)] needs a name")
                }
                var parameters = try self.parameters(output["parameters"], what: "output '\(name)' parameters")
                if case .bool(let wanted)? = parameters.removeValue(forKey: "binary_data") { binary.named[name] = wanted }
                request.outputs.append(RequestedOutput(name: name, parameters: parameters))
            }
        }
        return (request, binary)
    }

    /// The response body and, when any output went binary, the JSON header's length.
    static func response(_ response: InferResponse, binary: BinaryOutputs) throws(RPCError) -> (body: [UInt8], headerLength: Int?)
    {
        var json = "{\"model_name\":" + JSONText.string(response.modelName)
        json += ",\"model_version\":" + JSONText.string(response.modelVersion)
        if !response.id.isEmpty { json += ",\"id\":" + JSONText.string(response.id) }
        if !response.parameters.isEmpty { json += ",\"parameters\":" + parametersJSON(response.parameters) }
        json += ",\"outputs\":["
        var tail: [UInt8] = []
        for (index, output) in response.outputs.enumerated() {
            if index > 0 { json += "," }
            json += "{\"name\":" + JSONText.string(output.name) + ",\"datatype\":\"" + output.datatype.rawValue + "\""
            json += ",\"shape\":[" + output.shape.map(String.init).joined(separator: ",") + "]"
            var parameters = output.parameters
            if binary.wants(output.name) {
                parameters["binary_data_size"] = .int64(Int64(output.data.count))
                tail.append(contentsOf: output.data)
            }
            if !parameters.isEmpty { json += ",\"parameters\":" + parametersJSON(parameters) }
            if !binary.wants(output.name) { json += ",\"data\":" + (try TensorJSON.data(of: output)) }
            json += "}"
        }
        json += "]}"
        var body = Array(json.utf8)
        guard !tail.isEmpty || response.outputs.contains(where: { binary.wants($0.name) }) else { return (body, nil) }
        let headerLength = body.count
        body.append(contentsOf: tail)
        return (body, headerLength)
    }

    /// A JSON object from `bytes`; INVALID_ARGUMENT naming `what` otherwise.
    static func parseObject(_ bytes: ArraySlice<UInt8>, what: String) throws(RPCError) -> [String: Any] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw RPCError(.invalidArgument, "\(what) is not valid JSON: \(error.localizedDescription)")
        }
        guard let object = parsed as? [String: Any] else { throw RPCError(.invalidArgument, "\(what) must be a JSON object") }
        return object
    }

    // MARK: Parts

    private static func input(_ item: Any, index: Int, body: [UInt8], offset: inout Int) throws(RPCError) -> InferTensor {
        guard let input = item as? [String: Any] else { throw RPCError(.invalidArgument, "inputs[\(index)] must be an object") }
        guard let name = input["name"] as? String else { throw RPCError(.invalidArgument, "inputs[\(index)] needs a name") }
        let label = "input '\(name)'"
        guard let datatypeName = input["datatype"] as? String else {
            throw RPCError(.invalidArgument, "\(label) needs a datatype")
        }
        let datatype = try TensorDataType(wireName: datatypeName, tensor: label)
        guard let shapeValues = input["shape"] as? [Any] else { throw RPCError(.invalidArgument, "\(label) needs a shape") }
        var shape: [Int64] = []
        for value in shapeValues {
            guard let number = value as? NSNumber, !TensorJSON.isBoolean(value),
                number.doubleValue == number.doubleValue.rounded(),
                abs(number.doubleValue) < 9.2e18
            else { throw RPCError(.invalidArgument, "\(label) has a shape entry that is not an integer") }
            shape.append(number.int64Value)
        }
        var parameters = try self.parameters(input["parameters"], what: "\(label) parameters")
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
            guard let data = input["data"] else {
                throw RPCError(.invalidArgument, "\(label) has neither data nor binary_data_size")
            }
            tensor.data = try TensorJSON.contents(of: data, datatype: datatype, shape: shape, tensor: label)
        }
        tensor.parameters = parameters
        return tensor
    }

    static func parameters(_ value: Any?, what: String) throws(RPCError) -> [String: InferParameter] {
        guard let value else { return [:] }
        guard let object = value as? [String: Any] else { throw RPCError(.invalidArgument, "\(what) must be an object") }
        var parameters: [String: InferParameter] = [:]
        for (key, item) in object {
            switch item {
            case let text as String: parameters[key] = .string(text)
            case let number as NSNumber where TensorJSON.isBoolean(item): parameters[key] = .bool(number.boolValue)
            case let number as NSNumber:
                let type = String(cString: number.objCType)
                if type == "Q" {
                    parameters[key] = .uint64(number.uint64Value)
                } else if type == "d" || type == "f" {
                    parameters[key] = .double(number.doubleValue)
                } else {
                    parameters[key] = .int64(number.int64Value)
                }
            default: throw RPCError(.invalidArgument, "\(what): '\(key)' must be a string, number or boolean")
            }
        }
        return parameters
    }

    static func parametersJSON(_ parameters: [String: InferParameter]) -> String {
        "{"
            + parameters.sorted { $0.key < $1.key }.map { key, value in
                let text: String
                switch value {
                case .bool(let flag): text = flag ? "true" : "false"
                case .int64(let number): text = String(number)
                case .uint64(let number): text = String(number)
                case .double(let number): text = JSONText.number(number)
                case .string(let string): text = JSONText.string(string)
                }
                return JSONText.string(key) + ":" + text
            }.joined(separator: ",") + "}"
    }
}

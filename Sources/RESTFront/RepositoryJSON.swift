import InferenceAPI
import JSONDocument
import JSONEscaping
import RPCCore

/// The JSON of Triton's statistics and model repository extensions, as `tritonclient.http`
/// sends and reads them.
enum RepositoryJSON {
    /// `{"model_stats": [...]}` with every duration as `{"count", "ns"}`.
    static func statistics(_ response: ModelStatisticsResponse) -> String {
        func duration(_ value: StatisticDuration) -> String { "{\"count\":\(value.count),\"ns\":\(value.nanoseconds)}" }
        let models = response.modelStats.map { model in
            let stats = model.inferenceStats
            let inference =
                "{\"success\":\(duration(stats.success)),\"fail\":\(duration(stats.fail)),\"queue\":\(duration(stats.queue)),"
                + "\"compute_input\":\(duration(stats.computeInput)),\"compute_infer\":\(duration(stats.computeInfer)),"
                + "\"compute_output\":\(duration(stats.computeOutput)),\"cache_hit\":\(duration(StatisticDuration())),"
                + "\"cache_miss\":\(duration(StatisticDuration()))}"
            let batches = model.batchStats.map { batch in
                "{\"batch_size\":\(batch.batchSize),\"compute_input\":\(duration(StatisticDuration())),"
                    + "\"compute_infer\":\(duration(batch.computeInfer)),\"compute_output\":\(duration(StatisticDuration()))}"
            }
            return "{\"name\":\(JSONString.quoted(model.name)),\"version\":\(JSONString.quoted(model.version)),"
                + "\"last_inference\":\(model.lastInference),\"inference_count\":\(model.inferenceCount),"
                + "\"execution_count\":\(model.executionCount),\"inference_stats\":\(inference),"
                + "\"batch_stats\":[\(batches.joined(separator: ","))]}"
        }
        return "{\"model_stats\":[\(models.joined(separator: ","))]}"
    }

    /// The index as a JSON array of `{"name", "version", "state", "reason"}`.
    static func index(_ response: RepositoryIndexResponse) -> String {
        "["
            + response.models.map { entry in
                "{\"name\":\(JSONString.quoted(entry.name)),\"version\":\(JSONString.quoted(entry.version)),"
                    + "\"state\":\(JSONString.quoted(entry.state)),\"reason\":\(JSONString.quoted(entry.reason))}"
            }.joined(separator: ",") + "]"
    }

    /// `{"ready": BOOL}`; an empty body asks for every model.
    static func indexRequest(_ body: [UInt8]) throws(RPCError) -> RepositoryIndexRequest {
        guard !body.isEmpty else { return RepositoryIndexRequest() }
        let object = try InferenceJSON.parseObject(body, count: body.count, what: "repository index body")
        var request = RepositoryIndexRequest()
        if let ready = object.member("ready") {
            guard case .bool(let flag) = ready else {
                throw RPCError(.invalidArgument, "ready must be true or false")
            }
            request.ready = flag
        }
        return request
    }

    /// The `parameters` of a load or unload body (`{"parameters": {"config": "..."}}`); an empty
    /// body has none.
    static func repositoryParameters(_ body: [UInt8]) throws(RPCError) -> [String: ModelRepositoryParameter] {
        guard !body.isEmpty else { return [:] }
        let object = try InferenceJSON.parseObject(body, count: body.count, what: "request body")
        var parameters: [String: ModelRepositoryParameter] = [:]
        for (key, value) in try InferenceJSON.parameters(object.member("parameters"), what: "parameters") {
            switch value {
            case .bool(let flag): parameters[key] = .bool(flag)
            case .int64(let number): parameters[key] = .int64(number)
            case .string(let text): parameters[key] = .string(text)
            case .uint64, .double: throw RPCError(.invalidArgument, "parameter '\(key)' must be a string, integer or boolean")
            }
        }
        return parameters
    }
}

import InferenceAPI
import JSONEscaping

/// The JSON of the metadata answers, shaped as the KServe V2 REST protocol defines them.
enum RESTJSON {
    static func serverMetadata(_ metadata: ServerMetadataResponse) -> String {
        "{\"name\":\(JSONString.quoted(metadata.name)),\"version\":\(JSONString.quoted(metadata.version)),"
            + "\"extensions\":[\(metadata.extensions.map(JSONString.quoted).joined(separator: ","))]}"
    }

    static func modelMetadata(_ metadata: ModelMetadataResponse) -> String {
        "{\"name\":\(JSONString.quoted(metadata.name)),"
            + "\"versions\":[\(metadata.versions.map(JSONString.quoted).joined(separator: ","))],"
            + "\"platform\":\(JSONString.quoted(metadata.platform)),"
            + "\"inputs\":[\(metadata.inputs.map(tensor).joined(separator: ","))],"
            + "\"outputs\":[\(metadata.outputs.map(tensor).joined(separator: ","))]}"
    }

    /// Triton's model configuration JSON (`GET /v2/models/{model}/config`).
    static func modelConfig(_ config: ModelConfigResponse) -> String {
        let policy: String
        switch config.versionPolicy {
        case .latest(let count): policy = "{\"latest\":{\"num_versions\":\(count)}}"
        case .all: policy = "{\"all\":{}}"
        case .specific(let versions):
            policy = "{\"specific\":{\"versions\":[\(versions.map(String.init).joined(separator: ","))]}}"
        }
        func tensors(_ list: [ModelConfigResponse.Tensor]) -> String {
            list.map { tensor in
                "{\"name\":\(JSONString.quoted(tensor.name)),\"data_type\":\"TYPE_\(tensor.datatype == .bytes ? "STRING" : tensor.datatype.rawValue)\","
                    + "\"dims\":[\(tensor.dims.map(String.init).joined(separator: ","))]}"
            }.joined(separator: ",")
        }
        var json =
            "{\"name\":\(JSONString.quoted(config.name)),\"platform\":\(JSONString.quoted(config.platform)),"
            + "\"backend\":\(JSONString.quoted(config.backend)),\"version_policy\":\(policy),"
            + "\"max_batch_size\":\(config.maxBatchSize),\"input\":[\(tensors(config.inputs))],\"output\":[\(tensors(config.outputs))]"
        if let batching = config.dynamicBatching {
            json +=
                ",\"dynamic_batching\":{\"preferred_batch_size\":[\(batching.preferredBatchSizes.map(String.init).joined(separator: ","))],"
                + "\"max_queue_delay_microseconds\":\(batching.maxQueueDelayMicroseconds)}"
        }
        return json + "}"
    }

    private static func tensor(_ tensor: TensorMetadata) -> String {
        "{\"name\":\(JSONString.quoted(tensor.name)),\"datatype\":\"\(tensor.datatype.rawValue)\","
            + "\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))]}"
    }
}

import InferenceAPI
import ModelRepository

extension ServedModel {
    /// Triton's view of this version's configuration: its `config.yaml` settings and the graph's
    /// tensors, with the batch dimension left out of the dims when the model batches (as Triton
    /// writes them).
    public var tritonConfiguration: ModelConfigResponse {
        let metadata = self.metadata
        let batches = config.maxBatchSize > 0
        func tensors(_ list: [TensorMetadata]) -> [ModelConfigResponse.Tensor] {
            list.map {
                ModelConfigResponse.Tensor(
                    name: $0.name, datatype: $0.datatype, dims: batches ? Array($0.shape.dropFirst()) : $0.shape)
            }
        }
        let policy: ModelConfigResponse.VersionPolicy
        switch config.versionPolicy {
        case .latest(let count): policy = .latest(count)
        case .all: policy = .all
        case .specific(let versions): policy = .specific(versions.map(Int64.init))
        }
        return ModelConfigResponse(
            name: name, platform: "onnxruntime_onnx", backend: "", versionPolicy: policy,
            maxBatchSize: Int32(config.maxBatchSize),
            inputs: tensors(metadata.inputs), outputs: tensors(metadata.outputs),
            dynamicBatching: config.dynamicBatching.map {
                ModelConfigResponse.DynamicBatching(
                    preferredBatchSizes: $0.preferredBatchSizes.map { Int32($0) },
                    maxQueueDelayMicroseconds: UInt64(max(0, $0.maxQueueDelayMicroseconds)))
            })
    }
}

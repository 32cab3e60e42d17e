/// `ModelConfigRequest`: the configuration of a model (and version; empty for the server's choice).
public struct ModelConfigRequest: Sendable, Hashable {
    public var name: String
    public var version: String

    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }
}

/// `ModelConfigResponse`: Triton's `ModelConfig` of a served model, trimmed to what an ONNX model
/// served here has (what tritonclient's `get_model_config` and perf_analyzer read).
public struct ModelConfigResponse: Sendable, Hashable {
    /// One input or output: its name, element type and dimensions (without the batch dimension
    /// when `maxBatchSize` is above 0, as Triton writes them).
    public struct Tensor: Sendable, Hashable {
        public var name: String
        public var datatype: TensorDataType
        public var dims: [Int64]

        public init(name: String, datatype: TensorDataType, dims: [Int64]) {
            self.name = name
            self.datatype = datatype
            self.dims = dims
        }
    }

    /// Which versions are served.
    public enum VersionPolicy: Sendable, Hashable {
        case latest(Int)
        case all
        case specific([Int64])
    }

    public struct DynamicBatching: Sendable, Hashable {
        public var preferredBatchSizes: [Int32]
        public var maxQueueDelayMicroseconds: UInt64

        public init(preferredBatchSizes: [Int32], maxQueueDelayMicroseconds: UInt64) {
            self.preferredBatchSizes = preferredBatchSizes
            self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
        }
    }

    public var name: String
    public var platform: String
    public var backend: String
    public var versionPolicy: VersionPolicy
    /// 0: the model takes no batch dimension of its own (calls are not batched together).
    public var maxBatchSize: Int32
    public var inputs: [Tensor]
    public var outputs: [Tensor]
    public var dynamicBatching: DynamicBatching?

    public init(
        name: String, platform: String, backend: String, versionPolicy: VersionPolicy, maxBatchSize: Int32,
        inputs: [Tensor], outputs: [Tensor], dynamicBatching: DynamicBatching? = nil
    ) {
        self.name = name
        self.platform = platform
        self.backend = backend
        self.versionPolicy = versionPolicy
        self.maxBatchSize = maxBatchSize
        self.inputs = inputs
        self.outputs = outputs
        self.dynamicBatching = dynamicBatching
    }
}

/// `inference.ModelMetadataRequest`.
public struct ModelMetadataRequest: Sendable, Hashable {
    public var name: String
    /// Empty for the server's choice of version.
    public var version: String

    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }
}

/// `inference.ModelMetadataResponse`: a model's versions, platform and tensor signatures.
public struct ModelMetadataResponse: Sendable, Hashable {
    public var name: String
    public var versions: [String]
    /// For example `onnxruntime_onnx`.
    public var platform: String
    public var inputs: [TensorMetadata]
    public var outputs: [TensorMetadata]

    public init(
        name: String, versions: [String] = [], platform: String = "",
        inputs: [TensorMetadata] = [], outputs: [TensorMetadata] = []
    ) {
        self.name = name
        self.versions = versions
        self.platform = platform
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// `inference.ModelInferResponse`: the outputs of one inference.
public struct InferResponse: Sendable, Hashable {
    public var modelName: String
    /// The version that answered.
    public var modelVersion: String
    /// The request's id.
    public var id: String
    public var parameters: [String: InferParameter]
    public var outputs: [InferTensor]

    public init(
        modelName: String, modelVersion: String = "", id: String = "",
        parameters: [String: InferParameter] = [:], outputs: [InferTensor] = []
    ) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.parameters = parameters
        self.outputs = outputs
    }
}

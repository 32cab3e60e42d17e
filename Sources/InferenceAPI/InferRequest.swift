/// `inference.ModelInferRequest`: run a model on some inputs.
public struct InferRequest: Sendable, Hashable {
    public var modelName: String
    /// Empty to let the server choose the version.
    public var modelVersion: String
    /// The caller's request id, echoed in the response.
    public var id: String
    public var parameters: [String: InferParameter]
    public var inputs: [InferTensor]
    /// Outputs to return; empty means all of them.
    public var outputs: [RequestedOutput]

    public init(
        modelName: String, modelVersion: String = "", id: String = "",
        parameters: [String: InferParameter] = [:], inputs: [InferTensor] = [], outputs: [RequestedOutput] = []
    ) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.parameters = parameters
        self.inputs = inputs
        self.outputs = outputs
    }
}

import InferenceAPI

/// Everything `infer` sends besides the rows.
public struct InferTarget: Sendable, Hashable {
    public var model: String
    /// Empty lets the gateway choose.
    public var version: String
    public var id: String
    /// Hashed by the gateway onto the version split, so one caller keeps its version.
    public var routingKey: String?

    public init(model: String, version: String = "", id: String = "", routingKey: String? = nil) {
        self.model = model
        self.version = version
        self.id = id
        self.routingKey = routingKey
    }

    /// The request carrying `table` as `encoding` says.
    public func request(for table: RowTable, encoding: TensorEncoding) throws(InputError) -> InferRequest {
        var parameters: [String: InferParameter] = [:]
        if let routingKey { parameters["routing_key"] = .string(routingKey) }
        return InferRequest(
            modelName: model, modelVersion: version, id: id, parameters: parameters,
            inputs: try encoding.tensors(for: table))
    }
}

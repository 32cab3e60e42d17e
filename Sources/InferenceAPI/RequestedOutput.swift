/// An output the caller asks for by name, with per-output parameters.
public struct RequestedOutput: Sendable, Hashable {
    public var name: String
    public var parameters: [String: InferParameter]

    public init(name: String, parameters: [String: InferParameter] = [:]) {
        self.name = name
        self.parameters = parameters
    }
}

/// The signature of one model input or output (`ModelMetadataResponse.TensorMetadata`).
public struct TensorMetadata: Sendable, Hashable {
    public var name: String
    public var datatype: TensorDataType
    /// Dimensions, with -1 for a variable-size dimension.
    public var shape: [Int64]

    public init(name: String, datatype: TensorDataType, shape: [Int64]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }
}

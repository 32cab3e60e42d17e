import RPCCore

/// One input or output tensor: metadata plus its data as raw little-endian bytes.
///
/// `data` is laid out as KServe's `raw_input_contents` / `raw_output_contents`: elements in
/// row-major order, each fixed-size element little-endian; for BYTES, each element is a 4-byte
/// little-endian length followed by that many bytes. Tensors sent as typed `contents` are
/// converted to this layout when decoded, so handlers see one representation.
public struct InferTensor: Sendable, Hashable {
    public var name: String
    public var datatype: TensorDataType
    /// Dimensions; empty for a scalar.
    public var shape: [Int64]
    public var parameters: [String: InferParameter]
    public var data: [UInt8]

    public init(
        name: String, datatype: TensorDataType, shape: [Int64],
        parameters: [String: InferParameter] = [:], data: [UInt8] = []
    ) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.parameters = parameters
        self.data = data
    }

    /// The number of elements the shape describes; INVALID_ARGUMENT for a negative dimension or
    /// an overflowing count.
    public func elementCount() throws(RPCError) -> Int {
        try TensorLayout.elementCount(shape: shape, tensor: "tensor '\(name)'")
    }

    /// Checks that `data` holds exactly the elements the shape and datatype call for;
    /// INVALID_ARGUMENT naming the tensor otherwise.
    public func validate() throws(RPCError) {
        try validate(label: "tensor '\(name)'", field: "data")
    }

    func validate(label: @autoclosure () -> String, field: @autoclosure () -> String) throws(RPCError) {
        let count = try TensorLayout.elementCount(shape: shape, tensor: label())
        // Array.withUnsafeBytes is untyped `rethrows`, so the typed error travels in a Result.
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(RPCError) in
                try TensorLayout.checkData(
                    bytes, datatype: datatype, shape: shape, count: count, tensor: label(), field: field())
            }
        }
        try result.get()
    }
}

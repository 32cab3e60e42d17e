import FuzzSupport
import ONNXEngine

/// Fuzzes the ONNX loader: parsing a `ModelProto` with libprotobuf-c, validating the graph
/// (types, shapes, initializers, cycles, attributes) and planning it. Any bytes must load or
/// throw an ONNXError, within the default limits and without allocating what they declare.
@main
enum FuzzONNXModel {
    static func main() {
        FuzzDriver.run { input in
            let bytes = Array(input)
            _ = try? ONNXModel.operators(inModelBytes: bytes)
            return (try? ONNXModel(bytes: bytes)) != nil
        }
    }
}

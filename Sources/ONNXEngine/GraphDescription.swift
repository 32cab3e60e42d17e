/// A parsed ONNX model as plain Swift values, before validation and planning.
struct ModelDescription: Sendable {
    var irVersion: Int64
    var producerName: String
    /// Operator set version per domain; the default domain is spelled "" (also "ai.onnx").
    var opsets: [String: Int64]
    var graph: GraphDescription
    /// Whether the model carries model-local functions, which the engine does not run.
    var hasFunctions: Bool
}

/// A parsed ONNX graph.
struct GraphDescription: Sendable {
    var name: String
    var nodes: [NodeDescription]
    var initializers: [(name: String, tensor: Tensor)]
    var inputs: [ValueInfo]
    var outputs: [ValueInfo]
    var hasSparseInitializers: Bool
}

/// One parsed ONNX node.
struct NodeDescription: Sendable {
    var name: String
    var opType: String
    var domain: String
    /// Input value names; an empty name marks an omitted optional input.
    var inputs: [String]
    var outputs: [String]
    var attributes: [String: Attribute]
}

/// An attribute value of a node.
enum Attribute: Sendable {
    case float(Float)
    case int(Int64)
    case string([UInt8])
    case tensor(Tensor)
    case floats([Float])
    case ints([Int64])
    case strings([[UInt8]])
    case tensors([Tensor])
    /// A kind of attribute the engine cannot use (graph, sparse tensor, type proto); the payload names it.
    case unsupported(String)
}

/// The declared name, element type and shape of a graph input or output.
public struct ValueInfo: Sendable, Equatable {
    /// One dimension of a declared shape.
    public enum Dimension: Sendable, Equatable {
        /// A fixed size.
        case fixed(Int)
        /// A size chosen per run (a named dimension such as "batch", or an unnamed one).
        case dynamic(String)
    }

    /// The value's name in the graph.
    public var name: String
    /// The declared element type; nil when it is not a tensor type the engine supports.
    public var elementType: Tensor.ElementType?
    /// The raw ONNX data type code (0 when absent).
    public var onnxDataType: Int32
    /// The declared shape; nil when the model leaves the rank unknown.
    public var shape: [Dimension]?
    /// Whether the declared type is a tensor (not a sequence, map or optional).
    public var isTensor: Bool
}

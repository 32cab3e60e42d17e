/// A node's computation, built once at load: inputs (nil for an omitted optional input) to outputs.
typealias Kernel = @Sendable (_ inputs: [Tensor?], _ limits: ONNXLimits) throws -> [Tensor]

/// A kernel that takes its output arrays from the run's buffer pool, so repeated runs reuse them.
typealias BufferedKernel = @Sendable (_ inputs: [Tensor?], _ limits: ONNXLimits, _ buffers: BufferPool) throws -> [Tensor]

/// How to build the kernel of one operator.
struct OperatorDefinition: Sendable {
    var domain: String
    var opType: String
    /// The number of inputs the node may list (omitted optional inputs included).
    var inputs: ClosedRange<Int>
    /// The number of outputs the node may list.
    var outputs: ClosedRange<Int>
    /// Builds the kernel from the node's attributes and opset, rejecting what it does not implement.
    var make: @Sendable (NodeContext) throws -> BufferedKernel

    init(
        _ opType: String, domain: String = "", inputs: ClosedRange<Int>, outputs: ClosedRange<Int> = 1...1,
        make: @escaping @Sendable (NodeContext) throws -> Kernel
    ) {
        self.domain = domain
        self.opType = opType
        self.inputs = inputs
        self.outputs = outputs
        self.make = { context in
            let kernel = try make(context)
            return { inputs, limits, _ in try kernel(inputs, limits) }
        }
    }

    /// An operator whose kernel takes its output arrays from the run's buffer pool.
    static func buffered(
        _ opType: String, domain: String = "", inputs: ClosedRange<Int>, outputs: ClosedRange<Int> = 1...1,
        make: @escaping @Sendable (NodeContext) throws -> BufferedKernel
    ) -> OperatorDefinition {
        var definition = OperatorDefinition(opType, domain: domain, inputs: inputs, outputs: outputs) { _ in { _, _ in [] } }
        definition.make = make
        return definition
    }
}

/// The ONNX domain of the traditional machine-learning operators.
let mlDomain = "ai.onnx.ml"

/// Every operator the engine implements, by domain and op type.
enum OperatorRegistry {
    static let all: [String: OperatorDefinition] = {
        var table: [String: OperatorDefinition] = [:]
        let families: [[OperatorDefinition]] = [
            ElementwiseOperators.definitions, UnaryOperators.definitions, MatMulOperators.definitions,
            SoftmaxOperators.definitions, ReduceOperators.definitions, ShapeOperators.definitions,
            IndexingOperators.definitions, MLLinearOperators.definitions, TreeEnsembleOperators.definitions,
            VariadicOperators.definitions, SVMOperators.definitions, OneHotEncoderOperator.definitions,
            LabelEncoderOperator.definitions,
        ]
        for definition in families.joined() { table[key(definition.domain, definition.opType)] = definition }
        return table
    }()

    /// The highest opset version, per domain, whose semantics the kernels follow.
    static let maxOpset: [String: Int64] = ["": 22, mlDomain: 5]

    static func key(_ domain: String, _ opType: String) -> String { "\(domain)|\(opType)" }

    /// The definition for a node, if the engine implements it.
    static func definition(domain: String, opType: String) -> OperatorDefinition? { all[key(domain, opType)] }

    /// Whether the engine implements `opType` in `domain` ("" or "ai.onnx" for the default domain).
    static func supports(domain: String, opType: String) -> Bool {
        definition(domain: domain == "ai.onnx" ? "" : domain, opType: opType) != nil
    }
}

/// What a kernel builder sees of its node: attributes, opset and names for messages.
struct NodeContext: Sendable {
    var node: NodeDescription
    /// The model's opset version for the node's domain.
    var opset: Int64

    /// The node's attribute `name`, if present and usable.
    func attribute(_ name: String) throws(ONNXError) -> Attribute? {
        guard let value = node.attributes[name] else { return nil }
        if case .unsupported(let what) = value { throw .unsupported("attribute '\(name)' is \(what), which is not supported") }
        return value
    }

    func int(_ name: String) throws(ONNXError) -> Int? {
        switch try attribute(name) {
        case nil: return nil
        case .int(let v)?: return Int(clamping: v)
        default: throw .invalidModel("attribute '\(name)' must be an INT")
        }
    }

    func int(_ name: String, default value: Int) throws(ONNXError) -> Int { try int(name) ?? value }

    func float(_ name: String) throws(ONNXError) -> Float? {
        switch try attribute(name) {
        case nil: return nil
        case .float(let v)?: return v
        default: throw .invalidModel("attribute '\(name)' must be a FLOAT")
        }
    }

    func float(_ name: String, default value: Float) throws(ONNXError) -> Float { try float(name) ?? value }

    func string(_ name: String) throws(ONNXError) -> String? {
        switch try attribute(name) {
        case nil: return nil
        case .string(let v)?: return String(decoding: v, as: UTF8.self)
        default: throw .invalidModel("attribute '\(name)' must be a STRING")
        }
    }

    func string(_ name: String, default value: String) throws(ONNXError) -> String { try string(name) ?? value }

    func ints(_ name: String) throws(ONNXError) -> [Int]? {
        switch try attribute(name) {
        case nil: return nil
        case .ints(let v)?: return v.map { Int(clamping: $0) }
        default: throw .invalidModel("attribute '\(name)' must be INTS")
        }
    }

    func int64s(_ name: String) throws(ONNXError) -> [Int64]? {
        switch try attribute(name) {
        case nil: return nil
        case .ints(let v)?: return v
        default: throw .invalidModel("attribute '\(name)' must be INTS")
        }
    }

    func floats(_ name: String) throws(ONNXError) -> [Float]? {
        switch try attribute(name) {
        case nil: return nil
        case .floats(let v)?: return v
        default: throw .invalidModel("attribute '\(name)' must be FLOATS")
        }
    }

    func strings(_ name: String) throws(ONNXError) -> [String]? {
        switch try attribute(name) {
        case nil: return nil
        case .strings(let v)?: return v.map { String(decoding: $0, as: UTF8.self) }
        default: throw .invalidModel("attribute '\(name)' must be STRINGS")
        }
    }

    func tensor(_ name: String) throws(ONNXError) -> Tensor? {
        switch try attribute(name) {
        case nil: return nil
        case .tensor(let v)?: return v
        default: throw .invalidModel("attribute '\(name)' must be a TENSOR")
        }
    }

    /// Floats from a FLOATS attribute or, when absent, the float64 TENSOR attribute `tensorName`.
    func doublesOrTensor(_ name: String, tensor tensorName: String) throws(ONNXError) -> [Double]? {
        if let t = try tensor(tensorName) {
            guard let v = t.doubleValues(), t.elementType.isFloatingPoint else {
                throw .invalidModel("attribute '\(tensorName)' must be a floating point tensor")
            }
            return v
        }
        return try floats(name)?.map(Double.init)
    }

    /// Rejects attributes the kernel does not implement when they are set to a non-default value.
    func reject(_ name: String, unless isDefault: (Attribute) -> Bool) throws(ONNXError) {
        if let value = try attribute(name), !isDefault(value) {
            throw .unsupported("attribute '\(name)' with this value is not supported")
        }
    }
}

/// Accessors the kernels use on their input lists.
extension Array where Element == Tensor? {
    /// Input `index`, which the operator requires.
    func required(_ index: Int) throws(ONNXError) -> Tensor {
        guard index < count, let t = self[index] else { throw .invalidInput("input \(index) is required but missing") }
        return t
    }

    /// Input `index` if given.
    func optional(_ index: Int) -> Tensor? { index < count ? self[index] : nil }
}

/// Errors the kernels raise for inputs of the wrong type.
func typeError(_ index: Int, _ tensor: Tensor, expected: String) -> ONNXError {
    .invalidInput("input \(index) has type \(tensor.elementType), expected \(expected)")
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An ONNX model parsed, validated and planned once, ready to run any number of times concurrently.
public struct ONNXModel: Sendable {
    /// The graph inputs a caller must (or, for those with an initializer default, may) provide.
    public let inputs: [ValueInfo]
    /// The graph outputs `run` returns.
    public let outputs: [ValueInfo]
    /// Operator set versions per domain ("" is the default ai.onnx domain).
    public let opsets: [String: Int64]
    /// The tool that wrote the model, e.g. "skl2onnx".
    public let producerName: String
    /// The limits checked while running.
    public let limits: ONNXLimits
    let plan: ExecutionPlan

    /// Parses and validates a serialized `onnx.ModelProto` and builds its execution plan.
    public init(bytes: [UInt8], limits: ONNXLimits = .defaults) throws(ONNXError) {
        let parsed = bytes.withUnsafeBytes { buffer in
            Result { () throws(ONNXError) in try ModelDescription(bytes: buffer, limits: limits) }
        }
        let description = try parsed.get()
        self.plan = try ExecutionPlan(description)
        self.inputs = plan.inputs.map(\.info)
        self.outputs = description.graph.outputs
        self.opsets = description.opsets
        self.producerName = description.producerName
        self.limits = limits
    }

    /// Loads a model file.
    public init(contentsOfFile path: String, limits: ONNXLimits = .defaults) throws(ONNXError) {
        try self.init(bytes: try readFile(path, maxBytes: limits.maxModelBytes), limits: limits)
    }

    /// The (domain, op type) of every node of a serialized model, without validating or planning it.
    public static func operators(inModelBytes bytes: [UInt8]) throws(ONNXError) -> [(domain: String, opType: String)] {
        let parsed = bytes.withUnsafeBytes { buffer in
            Result { () throws(ONNXError) in try ModelDescription(bytes: buffer, limits: .defaults) }
        }
        return try parsed.get().graph.nodes.map { ($0.domain, $0.opType) }
    }

    /// Whether the engine implements `opType` of `domain` ("" or "ai.onnx" for the default domain).
    public static func supportsOperator(domain: String, opType: String) -> Bool {
        OperatorRegistry.supports(domain: domain, opType: opType)
    }

    /// Runs the model: `inputs` by graph input name; returns every graph output by name.
    public func run(_ inputs: [String: Tensor]) throws(ONNXError) -> [String: Tensor] {
        try plan.run(inputs, limits: limits)
    }
}

/// Reads a whole file, refusing one larger than `maxBytes`.
package func readFile(_ path: String, maxBytes: Int) throws(ONNXError) -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw .invalidModel("cannot open '\(path)'") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n == 0 { break }
        bytes += chunk[0..<n]
        if bytes.count > maxBytes {
            throw ONNXError(.limitExceeded, "'\(path)' is over the limit of \(maxBytes) bytes")
        }
    }
    if ferror(file) != 0 { throw .invalidModel("cannot read '\(path)'") }
    return bytes
}

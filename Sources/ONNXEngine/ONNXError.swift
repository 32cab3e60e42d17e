/// Why a model could not be loaded or run; the message names the node, operator, input or value at fault.
public struct ONNXError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad class of failure, for callers that map errors to a status.
    public enum Kind: Sendable, Equatable {
        /// The bytes are not a well-formed ONNX model, or the graph is inconsistent.
        case invalidModel
        /// The model uses an operator, attribute, type or feature the engine does not implement.
        case unsupported
        /// A value given to `run` (or computed from it) does not fit what the model expects.
        case invalidInput
        /// A size limit would be exceeded.
        case limitExceeded
    }

    /// The class of failure.
    public var kind: Kind
    /// A precise, human-readable explanation.
    public var message: String

    /// Makes an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }

    static func invalidModel(_ message: String) -> ONNXError { ONNXError(.invalidModel, message) }
    static func unsupported(_ message: String) -> ONNXError { ONNXError(.unsupported, message) }
    static func invalidInput(_ message: String) -> ONNXError { ONNXError(.invalidInput, message) }

    /// The same error with a prefix naming where it happened.
    func prefixed(_ context: String) -> ONNXError { ONNXError(kind, "\(context): \(message)") }
}

/// Size limits checked before the engine allocates.
public struct ONNXLimits: Sendable, Equatable {
    /// The most elements any single tensor may hold.
    public var maxElementCount: Int
    /// The most bytes a model file may have.
    public var maxModelBytes: Int

    /// Makes limits.
    public init(maxElementCount: Int = 1 << 28, maxModelBytes: Int = 1 << 31) {
        self.maxElementCount = maxElementCount
        self.maxModelBytes = maxModelBytes
    }

    /// The default limits.
    public static let defaults = ONNXLimits()

    /// The element count of `shape`, or an error when it overflows or exceeds the limit.
    func elementCount(_ shape: [Int], _ what: @autoclosure () -> String) throws(ONNXError) -> Int {
        var total = 1
        for d in shape {
            guard d >= 0 else { throw .invalidInput("\(what()) has a negative dimension in shape \(shape)") }
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElementCount else {
                throw ONNXError(
                    .limitExceeded, "\(what()) of shape \(shape) would exceed the limit of \(maxElementCount) elements")
            }
            total = product
        }
        return total
    }
}

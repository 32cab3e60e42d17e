/// A request, response or tensor parameter: the `InferParameter` oneof.
public enum InferParameter: Sendable, Hashable {
    case bool(Bool)
    case int64(Int64)
    case string(String)
    case double(Double)
    case uint64(UInt64)
}

extension InferParameter: ExpressibleByBooleanLiteral, ExpressibleByStringLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
}

extension InferParameter: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
}

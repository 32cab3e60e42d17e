/// A JSON document that keeps the order of object members, so columns read from records and
/// fields written by `--json` come out in a predictable order.
public indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number as its JSON literal, so 64-bit integers survive unchanged.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// An integer.
    public static func int<Integer: BinaryInteger>(_ value: Integer) -> JSONValue { .number("\(value)") }

    /// A double; non-finite values become the strings "NaN", "Infinity" and "-Infinity", as the
    /// protobuf JSON mapping writes them.
    public static func double(_ value: Double) -> JSONValue {
        nonFinite(value) ?? .number("\(value)")
    }

    /// A float, written with the digits that identify the float (0.1, not 0.10000000149011612).
    public static func float(_ value: Float) -> JSONValue {
        nonFinite(Double(value)) ?? .number("\(value)")
    }

    /// An object from literal key-value pairs, in order.
    public static func members(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { JSONMember($0.key, $0.value) })
    }

    /// The value of the object member named `key`, the last one when the name repeats (as a
    /// dictionary made from the document keeps); nil when there is none or this is no object.
    public func member(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    private static func nonFinite(_ value: Double) -> JSONValue? {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        return nil
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

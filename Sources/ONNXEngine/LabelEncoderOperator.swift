/// ai.onnx.ml LabelEncoder: maps each input value through a key → value table, with a default for
/// values not in it. Opset 1 maps strings to their index in `classes_strings` (or back); opset 2
/// and later take `keys_*` / `values_*` lists, and opset 4 also `keys_tensor` / `values_tensor`.
enum LabelEncoderOperator {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition("LabelEncoder", domain: mlDomain, inputs: 1...1, make: make)
    ]

    /// One column of keys or values, in one of the element types LabelEncoder allows.
    enum Column {
        case strings([String]), int64s([Int64]), floats([Float]), doubles([Double])

        var count: Int {
            switch self {
            case .strings(let v): v.count
            case .int64s(let v): v.count
            case .floats(let v): v.count
            case .doubles(let v): v.count
            }
        }
    }

    static func make(_ context: NodeContext) throws -> Kernel {
        if context.opset < 2 { return try classesKernel(context) }
        let keys = try column(context, "keys")
        let values = try column(context, "values")
        guard keys.count == values.count else {
            throw ONNXError.invalidModel("\(keys.count) keys but \(values.count) values; they must have the same length")
        }
        let matchNaN = context.opset >= 4
        switch keys {
        case .strings(let k): return try withValues(k, values, context, matchNaN: matchNaN)
        case .int64s(let k): return try withValues(k, values, context, matchNaN: matchNaN)
        case .floats(let k): return try withValues(k, values, context, matchNaN: matchNaN)
        case .doubles(let k): return try withValues(k, values, context, matchNaN: matchNaN)
        }
    }

    /// Opset 1: string input → index in `classes_strings` (or `default_int64`); int64 input → the
    /// string at that index (or `default_string`).
    static func classesKernel(_ context: NodeContext) throws -> Kernel {
        let classes = try context.strings("classes_strings") ?? []
        let defaultInt = Int64(try context.int("default_int64", default: -1))
        let defaultString = try context.string("default_string", default: "_Unused")
        let indices = (0..<Int64(classes.count)).map { $0 }
        // A class listed twice maps to its last index, as in onnxruntime.
        let toIndex = LabelTable(keys: classes, values: indices, fallback: defaultInt, firstWins: false, matchNaN: false)
        let toString = LabelTable(keys: indices, values: classes, fallback: defaultString, firstWins: false, matchNaN: false)
        return { inputs, _ in
            let x = try inputs.required(0)
            switch x.elementType {
            case .string: return [try toIndex.encode(x)]
            case .int64: return [try toString.encode(x)]
            default: throw typeError(0, x, expected: "tensor(string) or tensor(int64)")
            }
        }
    }

    static func withValues<Key: LabelElement>(
        _ keys: [Key], _ values: Column, _ context: NodeContext, matchNaN: Bool
    ) throws -> Kernel {
        func kernel<Value: LabelElement>(_ v: [Value], _ fallback: Value) -> Kernel {
            let table = LabelTable(keys: keys, values: v, fallback: fallback, firstWins: true, matchNaN: matchNaN)
            return { inputs, _ in [try table.encode(inputs.required(0))] }
        }
        let defaultTensor = try context.tensor("default_tensor")
        // default_tensor (opset 4) wins over the default_* attribute of the value type.
        func fallback<Value: LabelElement>(_ standard: Value, _ read: () throws -> Value?) throws -> Value {
            guard let defaultTensor else { return try read() ?? standard }
            guard let v = Value.unwrap(defaultTensor.storage), v.count == 1 else {
                throw ONNXError.invalidModel(
                    "attribute 'default_tensor' must hold one \(Value.elementType) value like the values")
            }
            return v[0]
        }
        switch values {
        case .strings(let v): return kernel(v, try fallback("_Unused") { try context.string("default_string") })
        case .int64s(let v): return kernel(v, try fallback(Int64(-1)) { try context.int("default_int64").map(Int64.init) })
        case .floats(let v): return kernel(v, try fallback(Float(-0.0)) { try context.float("default_float") })
        case .doubles(let v): return kernel(v, try fallback(Double(-0.0)) { try context.float("default_float").map(Double.init) })
        }
    }

    /// The one `keys_*` (or `values_*`) attribute the node gives.
    static func column(_ context: NodeContext, _ prefix: String) throws -> Column {
        var found: [(String, Column)] = []
        if let v = try context.strings("\(prefix)_strings") { found.append(("\(prefix)_strings", .strings(v))) }
        if let v = try context.int64s("\(prefix)_int64s") { found.append(("\(prefix)_int64s", .int64s(v))) }
        if let v = try context.floats("\(prefix)_floats") { found.append(("\(prefix)_floats", .floats(v))) }
        if let t = try context.tensor("\(prefix)_tensor") {
            let name = "\(prefix)_tensor"
            guard context.opset >= 4 else { throw ONNXError.invalidModel("attribute '\(name)' needs ai.onnx.ml opset 4") }
            switch t.storage {
            case .string(let v): found.append((name, .strings(v)))
            case .int64(let v): found.append((name, .int64s(v)))
            case .float32(let v): found.append((name, .floats(v)))
            case .float64(let v): found.append((name, .doubles(v)))
            default:
                throw ONNXError.unsupported(
                    "attribute '\(name)' of type \(t.elementType) is not supported (string, int64, float, double)")
            }
        }
        guard found.count == 1 else {
            let names = found.map { "'\($0.0)'" }.joined(separator: ", ")
            throw ONNXError.invalidModel(
                found.isEmpty ? "no \(prefix)_* attribute is given" : "only one of \(names) may be given")
        }
        return found[0].1
    }
}

/// An element type LabelEncoder maps from or to.
protocol LabelElement: Hashable, Sendable {
    static var elementType: Tensor.ElementType { get }
    static func wrap(_ values: [Self]) -> Tensor.Storage
    static func unwrap(_ storage: Tensor.Storage) -> [Self]?
    /// Whether the value is a NaN, which a hash table cannot find by equality.
    var isNaNKey: Bool { get }
}

extension String: LabelElement {
    static var elementType: Tensor.ElementType { .string }
    static func wrap(_ values: [String]) -> Tensor.Storage { .string(values) }
    static func unwrap(_ storage: Tensor.Storage) -> [String]? { if case .string(let v) = storage { v } else { nil } }
    var isNaNKey: Bool { false }
}

extension Int64: LabelElement { var isNaNKey: Bool { false } }
extension Float: LabelElement { var isNaNKey: Bool { isNaN } }
extension Double: LabelElement { var isNaNKey: Bool { isNaN } }

/// A key → value table built once at load.
struct LabelTable<Key: LabelElement, Value: LabelElement>: Sendable {
    var table: [Key: Value] = [:]
    /// The value for a NaN key, when NaN keys match (opset 4).
    var nanValue: Value?
    var fallback: Value

    init(keys: [Key], values: [Value], fallback: Value, firstWins: Bool, matchNaN: Bool) {
        self.fallback = fallback
        for (key, value) in zip(keys, values) {
            if key.isNaNKey {
                if matchNaN && (nanValue == nil || !firstWins) { nanValue = value }
            } else if !firstWins || table[key] == nil {
                table[key] = value
            }
        }
    }

    func encode(_ x: Tensor) throws -> Tensor {
        guard let keys = Key.unwrap(x.storage) else { throw typeError(0, x, expected: "\(Key.elementType) like the keys") }
        let values = keys.map { key in key.isNaNKey ? (nanValue ?? fallback) : (table[key] ?? fallback) }
        return Tensor(shape: x.shape, storage: Value.wrap(values))
    }
}

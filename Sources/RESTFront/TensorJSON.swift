import InferenceAPI
import JSONDocument
import RPCCore

/// Tensor contents between the KServe V2 JSON form (`data`, flattened or nested, BYTES as
/// strings) and the raw little-endian bytes `InferTensor` carries.
enum TensorJSON {
    /// The raw contents of `data` for a tensor of `datatype` and `shape`; INVALID_ARGUMENT naming
    /// `tensor` when an element has the wrong type or range, or the count does not match.
    static func contents(
        of data: JSONValue, datatype: TensorDataType, shape: [Int64], tensor: String
    ) throws(RPCError) -> [UInt8] {
        let expected = try TensorLayout.elementCount(shape: shape, tensor: tensor)
        // Counted before any element is converted, so a count error wins over an element's and a
        // huge array is refused before it is all converted.
        var count = 0
        try countElements(data, count: &count, limit: expected, tensor: tensor)
        guard count == expected else {
            throw RPCError(.invalidArgument, "\(tensor) has \(count) elements in data; its shape \(shape) needs \(expected)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expected * (datatype.elementByteSize ?? 8))
        var index = 0
        try append(data, as: datatype, to: &bytes, tensor: tensor, index: &index)
        return bytes
    }

    /// Writes `tensor`'s contents as a flat JSON array; FP16 and BF16 go out as numbers.
    static func data(of tensor: InferTensor, to json: inout JSONBytes) throws(RPCError) {
        json.append("[")
        let label = "output '\(tensor.name)'"
        switch tensor.datatype {
        case .bytes:
            for (index, element) in try tensor.bytesElements().enumerated() {
                if index > 0 { json.append(",") }
                json.string(String(decoding: element, as: UTF8.self))
            }
        default:
            guard let size = tensor.datatype.elementByteSize, tensor.data.count % size == 0 else {
                throw RPCError(.internal, "\(label) has \(tensor.data.count) bytes of \(tensor.datatype)")
            }
            tensor.data.withUnsafeBytes { raw in
                for index in 0..<(raw.count / size) {
                    if index > 0 { json.append(",") }
                    number(raw, at: index * size, datatype: tensor.datatype, to: &json)
                }
            }
        }
        json.append("]")
    }

    // MARK: Reading

    private static func countElements(_ value: JSONValue, count: inout Int, limit: Int, tensor: String) throws(RPCError) {
        if case .array(let items) = value {
            for item in items { try countElements(item, count: &count, limit: limit, tensor: tensor) }
            return
        }
        guard count < limit else {
            throw RPCError(.invalidArgument, "\(tensor) has more elements in data than its shape needs (\(limit))")
        }
        count += 1
    }

    /// Appends the elements of `value` (an array, nested or flat, or one element) in order;
    /// `index` counts the elements written, for errors.
    private static func append(
        _ value: JSONValue, as datatype: TensorDataType, to bytes: inout [UInt8], tensor: String, index: inout Int
    ) throws(RPCError) {
        if case .array(let items) = value {
            for item in items { try append(item, as: datatype, to: &bytes, tensor: tensor, index: &index) }
            return
        }
        try appendElement(value, as: datatype, to: &bytes, tensor: tensor, index: index)
        index += 1
    }

    private static func appendElement(
        _ element: JSONValue, as datatype: TensorDataType, to bytes: inout [UInt8], tensor: String, index: Int
    ) throws(RPCError) {
        func wrong(_ expected: String) -> RPCError {
            RPCError(.invalidArgument, "\(tensor) element \(index) is \(describe(element)); \(datatype) needs \(expected)")
        }
        switch datatype {
        case .bool:
            guard case .bool(let flag) = element else { throw wrong("true or false") }
            bytes.append(flag ? 1 : 0)
        case .bytes:
            guard case .string(let text) = element else { throw wrong("a string") }
            appendLittleEndian(UInt32(text.utf8.count), to: &bytes)
            bytes.append(contentsOf: text.utf8)
        case .fp32, .fp64, .fp16, .bf16:
            guard case .number(let text) = element, let value = Double(text) else { throw wrong("a number") }
            switch datatype {
            case .fp64: appendLittleEndian(value.bitPattern, to: &bytes)
            case .fp32: appendLittleEndian(Float(value).bitPattern, to: &bytes)
            case .fp16: appendLittleEndian(Float16(Float(value)).bitPattern, to: &bytes)
            default: appendLittleEndian(bfloat16(Float(value)), to: &bytes)
            }
        default:
            guard case .number(let text) = element, let integer = JSONNumber.integer(text) else { throw wrong("an integer") }
            guard let range = integerRange(datatype), range.contains(integer) else { throw wrong("an integer in its range") }
            switch datatype {
            case .int8: bytes.append(UInt8(bitPattern: Int8(integer)))
            case .uint8: bytes.append(UInt8(integer))
            case .int16: appendLittleEndian(UInt16(bitPattern: Int16(integer)), to: &bytes)
            case .uint16: appendLittleEndian(UInt16(integer), to: &bytes)
            case .int32: appendLittleEndian(UInt32(bitPattern: Int32(integer)), to: &bytes)
            case .uint32: appendLittleEndian(UInt32(integer), to: &bytes)
            case .int64: appendLittleEndian(UInt64(bitPattern: Int64(integer)), to: &bytes)
            default: appendLittleEndian(UInt64(integer), to: &bytes)
            }
        }
    }

    private static func integerRange(_ datatype: TensorDataType) -> ClosedRange<Int128>? {
        switch datatype {
        case .int8: Int128(Int8.min)...Int128(Int8.max)
        case .uint8: 0...Int128(UInt8.max)
        case .int16: Int128(Int16.min)...Int128(Int16.max)
        case .uint16: 0...Int128(UInt16.max)
        case .int32: Int128(Int32.min)...Int128(Int32.max)
        case .uint32: 0...Int128(UInt32.max)
        case .int64: Int128(Int64.min)...Int128(Int64.max)
        case .uint64: 0...Int128(UInt64.max)
        default: nil
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string: "a string"
        case .bool: "a boolean"
        case .number(let text): "the number \(text)"
        case .null: "null"
        case .object: "an object"
        case .array: "an array"
        }
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// bfloat16: the top half of the float's bits, rounded to nearest even.
    private static func bfloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return 0x7FC0 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    // MARK: Writing

    private static func number(_ raw: UnsafeRawBufferPointer, at offset: Int, datatype: TensorDataType, to json: inout JSONBytes)
    {
        func load<T: FixedWidthInteger>(_: T.Type) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        switch datatype {
        case .bool: json.append(raw[offset] != 0 ? "true" : "false")
        case .int8: json.integer(Int8(bitPattern: raw[offset]))
        case .uint8: json.integer(raw[offset])
        case .int16: json.integer(Int16(bitPattern: load(UInt16.self)))
        case .uint16: json.integer(load(UInt16.self))
        case .int32: json.integer(Int32(bitPattern: load(UInt32.self)))
        case .uint32: json.integer(load(UInt32.self))
        case .int64: json.integer(Int64(bitPattern: load(UInt64.self)))
        case .uint64: json.integer(load(UInt64.self))
        case .fp16: json.number(Double(Float(Float16(bitPattern: load(UInt16.self)))))
        case .bf16: json.number(Double(Float(bitPattern: UInt32(load(UInt16.self)) << 16)))
        case .fp32: json.number(Float(bitPattern: load(UInt32.self)))
        case .fp64: json.number(Double(bitPattern: load(UInt64.self)))
        case .bytes: json.append("null")
        }
    }
}

/// JSON number literals as KServe bodies use them, typed as Foundation's parser typed them:
/// integers while they fit 64 bits, doubles otherwise.
enum JSONNumber {
    /// The literal as an exact integer: whole numbers only (`2`, `2.0`, `2e3`), up to UInt64's range.
    static func integer(_ text: String) -> Int128? {
        if let value = Int64(text) { return Int128(value) }
        if let value = UInt64(text) { return Int128(value) }
        guard let value = Double(text), value.rounded() == value, abs(value) < 1.8e19 else { return nil }
        return Int128(value)
    }

    /// A request parameter: INT64, then UINT64 for integers past Int64, else a double.
    static func parameter(_ text: String) -> InferParameter {
        if let value = Int64(text) { return .int64(value) }
        if let value = UInt64(text) { return .uint64(value) }
        return .double(Double(text) ?? .nan)
    }
}

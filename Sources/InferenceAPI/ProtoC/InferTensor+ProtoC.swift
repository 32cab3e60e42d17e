internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

/// The generated input and output tensor structs share one shape, so one generic conversion
/// serves requests and responses.
protocol CTensor {
    associatedtype Entry: CParameterEntry
    var name: UnsafeMutablePointer<CChar>! { get set }
    var datatype: UnsafeMutablePointer<CChar>! { get set }
    var n_shape: Int { get set }
    var shape: UnsafeMutablePointer<Int64>! { get set }
    var n_parameters: Int { get set }
    var parameters: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>! { get set }
    var contents: UnsafeMutablePointer<Inference__InferTensorContents>! { get set }
    /// Calls the generated `..._init`, which sets the descriptor.
    static func initialize(_ tensor: UnsafeMutablePointer<Self>)
}

extension Inference__ModelInferRequest__InferInputTensor: CTensor {
    static func initialize(_ tensor: UnsafeMutablePointer<Self>) {
        inference__model_infer_request__infer_input_tensor__init(tensor)
    }
}

extension Inference__ModelInferResponse__InferOutputTensor: CTensor {
    static func initialize(_ tensor: UnsafeMutablePointer<Self>) {
        inference__model_infer_response__infer_output_tensor__init(tensor)
    }
}

/// Whether tensors are a request's inputs or a response's outputs, for field names in errors.
struct TensorRole {
    /// `input` or `output`.
    let noun: String
    /// `raw_input_contents` or `raw_output_contents`.
    let rawField: String

    static let input = TensorRole(noun: "input", rawField: "raw_input_contents")
    static let output = TensorRole(noun: "output", rawField: "raw_output_contents")
}

extension InferTensor {
    /// Reads a tensor whose data is either `raw` (its raw contents entry) or its typed contents.
    init<C: CTensor>(_ tensor: C, raw: UnsafeRawBufferPointer?, index: Int, role: TensorRole) throws(RPCError) {
        let name = ProtoCCodec.string(tensor.name)
        // Built only for an error message: most requests never need it.
        func label() -> String { "\(role.noun) '\(name)'" }
        let datatype = try TensorDataType(wireName: ProtoCCodec.string(tensor.datatype), tensor: label())
        let shape = ProtoCCodec.array(tensor.shape, count: tensor.n_shape)
        let count = try TensorLayout.elementCount(shape: shape, tensor: label())
        let parameters =
            tensor.n_parameters == 0
            ? [:] : try ParameterMap.decode(tensor.parameters, count: tensor.n_parameters, owner: label())
        let data: [UInt8]
        if let raw {
            if let contents = tensor.contents?.pointee, let field = contents.setFields.first?.name {
                throw RPCError(
                    .invalidArgument,
                    "\(label()) sets contents.\(field), but the message uses \(role.rawField); "
                        + "send each \(role.noun)'s data in one place")
            }
            try TensorLayout.checkData(
                raw, datatype: datatype, shape: shape, count: count, tensor: label(),
                field: "\(role.rawField)[\(index)]")
            data = Array(raw)
        } else {
            data = try TypedContents.decode(
                tensor.contents?.pointee, datatype: datatype, shape: shape, count: count, tensor: label(),
                rawField: role.rawField)
        }
        self.init(name: name, datatype: datatype, shape: shape, parameters: parameters, data: data)
    }

    /// Fills a zeroed C tensor; `data` is a stable view of `self.data`. With `typed`, the data
    /// goes into typed contents (the caller checked the datatype has a field), else nowhere:
    /// the caller puts it in the message's raw contents.
    func fill<C: CTensor>(_ tensor: UnsafeMutablePointer<C>, data: UnsafeRawBufferPointer, typed: Bool, arena: CArena) {
        C.initialize(tensor)
        tensor.pointee.name = arena.string(name)
        tensor.pointee.datatype = arena.string(datatype.rawValue)
        tensor.pointee.n_shape = shape.count
        tensor.pointee.shape = arena.copy(shape)
        let map = ParameterMap.encode(parameters, arena: arena, as: C.Entry.self)
        tensor.pointee.n_parameters = map.count
        tensor.pointee.parameters = map.entries
        if typed {
            tensor.pointee.contents = TypedContents.encode(data, datatype: datatype, arena: arena)
        }
    }
}

extension Inference__InferTensorContents {
    /// The repeated fields that hold values, in field-number order.
    var setFields: [(name: String, count: Int)] {
        [
            ("bool_contents", n_bool_contents), ("int_contents", n_int_contents),
            ("int64_contents", n_int64_contents), ("uint_contents", n_uint_contents),
            ("uint64_contents", n_uint64_contents), ("fp32_contents", n_fp32_contents),
            ("fp64_contents", n_fp64_contents), ("bytes_contents", n_bytes_contents),
        ].filter { $0.count > 0 }
    }
}

/// Conversion between typed `InferTensorContents` and raw little-endian tensor data.
enum TypedContents {
    /// The raw data of typed contents, checked against the datatype and element count.
    static func decode(
        _ contents: Inference__InferTensorContents?, datatype: TensorDataType, shape: [Int64], count: Int,
        tensor: String, rawField: String
    ) throws(RPCError) -> [UInt8] {
        let contents = contents ?? Inference__InferTensorContents()
        let expectedField = datatype.contentsFieldName
        if let wrong = contents.setFields.first(where: { $0.name != expectedField }) {
            throw RPCError(
                .invalidArgument,
                expectedField.map {
                    "\(tensor) has datatype \(datatype), whose values go in contents.\($0), but contents.\(wrong.name) is set"
                } ?? "\(tensor) has datatype \(datatype), which has no typed contents field "
                    + "(send it in \(rawField)), but contents.\(wrong.name) is set")
        }
        guard let field = expectedField else {
            guard count == 0 else {
                throw RPCError(
                    .invalidArgument,
                    "\(tensor) of datatype \(datatype) and shape \(TensorLayout.format(shape)) needs \(count) "
                        + "elements, which \(datatype) can only carry in \(rawField)")
            }
            return []
        }
        let found = contents.setFields.first?.count ?? 0
        guard found == count else {
            throw RPCError(
                .invalidArgument,
                "\(tensor) of datatype \(datatype) and shape \(TensorLayout.format(shape)) needs \(count) "
                    + "elements, but contents.\(field) has \(found)")
        }
        let context = (tensor: tensor, field: field, datatype: datatype)
        switch datatype {
        case .bool:
            return (0..<count).map { contents.bool_contents[$0] != 0 ? 1 : 0 }
        case .int8: return try narrow(contents.int_contents, count: count, to: Int8.self, context)
        case .int16: return try narrow(contents.int_contents, count: count, to: Int16.self, context)
        case .int32: return bytes(of: contents.int_contents, count: count)
        case .int64: return bytes(of: contents.int64_contents, count: count)
        case .uint8: return try narrow(contents.uint_contents, count: count, to: UInt8.self, context)
        case .uint16: return try narrow(contents.uint_contents, count: count, to: UInt16.self, context)
        case .uint32: return bytes(of: contents.uint_contents, count: count)
        case .uint64: return bytes(of: contents.uint64_contents, count: count)
        case .fp32: return bytes(of: contents.fp32_contents, count: count)
        case .fp64: return bytes(of: contents.fp64_contents, count: count)
        case .bytes: return try lengthPrefixed(contents.bytes_contents, count: count, context)
        case .fp16, .bf16: return []  // Unreachable: these have no contents field.
        }
    }

    /// Typed contents holding `data`, or nil for a datatype without a contents field. Data that
    /// does not fill whole elements is truncated: decoders reject the count mismatch.
    static func encode(
        _ data: UnsafeRawBufferPointer, datatype: TensorDataType, arena: CArena
    ) -> UnsafeMutablePointer<Inference__InferTensorContents>? {
        let contents = arena.allocate(Inference__InferTensorContents.self)
        inference__infer_tensor_contents__init(contents)
        switch datatype {
        case .bool:
            (contents.pointee.n_bool_contents, contents.pointee.bool_contents) =
                load(data, UInt8.self, arena) { protobuf_c_boolean($0 != 0 ? 1 : 0) }
        case .int8:
            (contents.pointee.n_int_contents, contents.pointee.int_contents) = load(data, Int8.self, arena, Int32.init)
        case .int16:
            (contents.pointee.n_int_contents, contents.pointee.int_contents) = load(data, Int16.self, arena, Int32.init)
        case .int32:
            (contents.pointee.n_int_contents, contents.pointee.int_contents) = load(data, Int32.self, arena) { $0 }
        case .int64:
            (contents.pointee.n_int64_contents, contents.pointee.int64_contents) = load(data, Int64.self, arena) { $0 }
        case .uint8:
            (contents.pointee.n_uint_contents, contents.pointee.uint_contents) = load(data, UInt8.self, arena, UInt32.init)
        case .uint16:
            (contents.pointee.n_uint_contents, contents.pointee.uint_contents) = load(data, UInt16.self, arena, UInt32.init)
        case .uint32:
            (contents.pointee.n_uint_contents, contents.pointee.uint_contents) = load(data, UInt32.self, arena) { $0 }
        case .uint64:
            (contents.pointee.n_uint64_contents, contents.pointee.uint64_contents) = load(data, UInt64.self, arena) { $0 }
        case .fp32:
            (contents.pointee.n_fp32_contents, contents.pointee.fp32_contents) = load(data, Float.self, arena) { $0 }
        case .fp64:
            (contents.pointee.n_fp64_contents, contents.pointee.fp64_contents) = load(data, Double.self, arena) { $0 }
        case .bytes:
            var elements: [ProtobufCBinaryData] = []
            TensorLayout.forEachBytesElement(data) { elements.append(ProtobufCBinaryData(pointingAt: $0)) }
            contents.pointee.n_bytes_contents = elements.count
            contents.pointee.bytes_contents = arena.copy(elements)
        case .fp16, .bf16:
            return nil
        }
        return contents
    }

    private typealias Context = (tensor: String, field: String, datatype: TensorDataType)

    /// The values of a repeated field whose C type is already the element's wire layout.
    private static func bytes<T>(of values: UnsafeMutablePointer<T>?, count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: values, count: count * MemoryLayout<T>.stride))
    }

    /// Narrows 32-bit contents to a smaller integer type; a value that does not fit is
    /// INVALID_ARGUMENT rather than silently wrapped.
    private static func narrow<Source: BinaryInteger, Target: FixedWidthInteger>(
        _ values: UnsafeMutablePointer<Source>?, count: Int, to type: Target.Type, _ context: Context
    ) throws(RPCError) -> [UInt8] {
        guard count > 0, let values else { return [] }
        if let index = (0..<count).first(where: { Target(exactly: values[$0]) == nil }) {
            throw RPCError(
                .invalidArgument,
                "\(context.tensor): contents.\(context.field)[\(index)] = \(values[index]) is out of range "
                    + "for \(context.datatype)")
        }
        let size = MemoryLayout<Target>.size
        return [UInt8](unsafeUninitializedCapacity: count * size) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for index in 0..<count {
                raw.storeBytes(of: Target(values[index]).littleEndian, toByteOffset: index * size, as: Target.self)
            }
            initialized = count * size
        }
    }

    /// BYTES elements as raw data: each a 4-byte little-endian length, then the bytes.
    private static func lengthPrefixed(
        _ elements: UnsafeMutablePointer<ProtobufCBinaryData>?, count: Int, _ context: Context
    ) throws(RPCError) -> [UInt8] {
        guard count > 0, let elements else { return [] }
        var total = 0
        for index in 0..<count {
            guard elements[index].len <= UInt32.max else {
                throw RPCError(
                    .invalidArgument,
                    "\(context.tensor): contents.\(context.field)[\(index)] is longer than 4 GiB")
            }
            total += 4 + elements[index].len
        }
        var data: [UInt8] = []
        data.reserveCapacity(total)
        for index in 0..<count {
            let element = elements[index].bytes
            withUnsafeBytes(of: UInt32(element.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: element)
        }
        return data
    }

    /// A C array of the whole elements in `data`, each read as `Source` and converted.
    private static func load<Source: BitwiseCopyable, Target>(
        _ data: UnsafeRawBufferPointer, _ source: Source.Type, _ arena: CArena, _ convert: (Source) -> Target
    ) -> (Int, UnsafeMutablePointer<Target>) {
        let count = data.count / MemoryLayout<Source>.size
        let values = arena.allocate(Target.self, count: count)
        for index in 0..<count {
            values[index] = convert(data.loadUnaligned(fromByteOffset: index * MemoryLayout<Source>.size, as: Source.self))
        }
        return (count, values)
    }
}

internal import CProtobufC
internal import ProtoC

// The one place that reads the protobuf-c structs of onnx.proto; everything else sees Swift values.

extension ModelDescription {
    /// Parses serialized `onnx.ModelProto` bytes.
    init(bytes: UnsafeRawBufferPointer, limits: ONNXLimits) throws(ONNXError) {
        guard bytes.count <= limits.maxModelBytes else {
            throw ONNXError(.limitExceeded, "model is \(bytes.count) bytes, over the limit of \(limits.maxModelBytes)")
        }
        let tooDeep = withUnsafePointer(to: onnx__model_proto__descriptor) { ProtobufNesting.isTooDeep(bytes, $0) }
        guard !tooDeep else {
            throw ONNXError(
                .limitExceeded,
                "the model nests messages deeper than \(ProtobufNesting.maxDepth) levels (graphs in node attributes, or types in types)"
            )
        }
        var empty: UInt8 = 0
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let message = withUnsafePointer(to: &empty, { onnx__model_proto__unpack(nil, bytes.count, base ?? $0) }) else {
            throw .invalidModel(
                "the bytes are not a valid serialized onnx.ModelProto (truncated or corrupt, \(bytes.count) bytes)")
        }
        defer { onnx__model_proto__free_unpacked(message, nil) }
        let model = message.pointee
        var opsets: [String: Int64] = [:]
        for i in 0..<model.n_opset_import {
            let entry = model.opset_import[i]!.pointee
            var domain = CString.read(entry.domain)
            if domain == "ai.onnx" { domain = "" }
            opsets[domain] = entry.has_version != 0 ? entry.version : 0
        }
        guard let graph = model.graph else { throw .invalidModel("the model has no graph") }
        self.init(
            irVersion: model.has_ir_version != 0 ? model.ir_version : 0,
            producerName: CString.read(model.producer_name),
            opsets: opsets,
            graph: try GraphDescription(graph.pointee, limits: limits),
            hasFunctions: model.n_functions > 0
        )
    }
}

extension Tensor {
    /// Parses a serialized `onnx.TensorProto`, as found in the ONNX test data `input_N.pb` files.
    public init(tensorProtoBytes bytes: [UInt8], limits: ONNXLimits = .defaults) throws(ONNXError) {
        let parsed: Result<Tensor, ONNXError> = bytes.withUnsafeBufferPointer { buffer in
            guard let message = onnx__tensor_proto__unpack(nil, buffer.count, buffer.baseAddress) else {
                return .failure(.invalidModel("the bytes are not a valid serialized onnx.TensorProto"))
            }
            defer { onnx__tensor_proto__free_unpacked(message, nil) }
            return Result { () throws(ONNXError) in try Tensor(message.pointee, limits: limits) }
        }
        self = try parsed.get()
    }

    /// The `name` field of a serialized `onnx.TensorProto`, or "" when absent or unparsable.
    public static func tensorProtoName(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            guard let message = onnx__tensor_proto__unpack(nil, buffer.count, buffer.baseAddress) else { return "" }
            defer { onnx__tensor_proto__free_unpacked(message, nil) }
            return CString.read(message.pointee.name)
        }
    }
}

private enum CString {
    static func read(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }

    static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let p = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: data.len))
    }
}

extension GraphDescription {
    fileprivate init(_ graph: Onnx__GraphProto, limits: ONNXLimits) throws(ONNXError) {
        var nodes: [NodeDescription] = []
        nodes.reserveCapacity(graph.n_node)
        for i in 0..<graph.n_node {
            nodes.append(try NodeDescription(graph.node[i]!.pointee, index: i, limits: limits))
        }
        var initializers: [(name: String, tensor: Tensor)] = []
        for i in 0..<graph.n_initializer {
            let proto = graph.initializer[i]!.pointee
            let name = CString.read(proto.name)
            do {
                initializers.append((name, try Tensor(proto, limits: limits)))
            } catch {
                throw error.prefixed("initializer '\(name)'")
            }
        }
        self.init(
            name: CString.read(graph.name),
            nodes: nodes,
            initializers: initializers,
            inputs: (0..<graph.n_input).map { ValueInfo(graph.input[$0]!.pointee) },
            outputs: (0..<graph.n_output).map { ValueInfo(graph.output[$0]!.pointee) },
            hasSparseInitializers: graph.n_sparse_initializer > 0
        )
    }
}

extension NodeDescription {
    fileprivate init(_ node: Onnx__NodeProto, index: Int, limits: ONNXLimits) throws(ONNXError) {
        var name = CString.read(node.name)
        if name.isEmpty { name = "#\(index)" }
        let opType = CString.read(node.op_type)
        var domain = CString.read(node.domain)
        if domain == "ai.onnx" { domain = "" }
        var attributes: [String: Attribute] = [:]
        for i in 0..<node.n_attribute {
            let attribute = node.attribute[i]!.pointee
            let attributeName = CString.read(attribute.name)
            do {
                attributes[attributeName] = try Attribute(attribute, limits: limits)
            } catch {
                throw error.prefixed("node '\(name)' (\(opType)) attribute '\(attributeName)'")
            }
        }
        self.init(
            name: name, opType: opType, domain: domain,
            inputs: (0..<node.n_input).map { CString.read(node.input[$0]) },
            outputs: (0..<node.n_output).map { CString.read(node.output[$0]) },
            attributes: attributes
        )
    }
}

extension Attribute {
    fileprivate init(_ a: Onnx__AttributeProto, limits: ONNXLimits) throws(ONNXError) {
        if let ref = a.ref_attr_name, ref.pointee != 0 {
            self = .unsupported("a reference to function attribute '\(String(cString: ref))'")
            return
        }
        switch a.type {
        case 1: self = .float(a.f)
        case 2: self = .int(a.i)
        case 3: self = .string(CString.bytes(a.s))
        case 4:
            guard let t = a.t else { throw .invalidModel("TENSOR attribute has no tensor") }
            self = .tensor(try Tensor(t.pointee, limits: limits))
        case 6: self = .floats(a.n_floats == 0 ? [] : Array(UnsafeBufferPointer(start: a.floats, count: a.n_floats)))
        case 7: self = .ints(a.n_ints == 0 ? [] : Array(UnsafeBufferPointer(start: a.ints, count: a.n_ints)))
        case 8: self = .strings((0..<a.n_strings).map { CString.bytes(a.strings[$0]) })
        case 9:
            var tensors: [Tensor] = []
            for i in 0..<a.n_tensors { tensors.append(try Tensor(a.tensors[i]!.pointee, limits: limits)) }
            self = .tensors(tensors)
        case 5: self = .unsupported("a GRAPH attribute")
        case 10: self = .unsupported("a GRAPHS attribute")
        case 11, 12: self = .unsupported("a sparse tensor attribute")
        case 13, 14: self = .unsupported("a type proto attribute")
        default: throw .invalidModel("attribute has unknown type \(a.type)")
        }
    }
}

extension ValueInfo {
    fileprivate init(_ info: Onnx__ValueInfoProto) {
        let name = CString.read(info.name)
        guard let type = info.type?.pointee, let tensorType = type.tensor_type?.pointee else {
            self.init(name: name, elementType: nil, onnxDataType: 0, shape: nil, isTensor: info.type == nil)
            return
        }
        let code = tensorType.has_elem_type != 0 ? tensorType.elem_type : 0
        var shape: [Dimension]?
        if let s = tensorType.shape?.pointee {
            shape = (0..<s.n_dim).map { i in
                let d = s.dim[i]!.pointee
                if d.has_dim_value != 0 && d.dim_value >= 0 { return .fixed(Int(d.dim_value)) }
                return .dynamic(CString.read(d.dim_param))
            }
        }
        self.init(name: name, elementType: Tensor.ElementType(rawValue: code), onnxDataType: code, shape: shape, isTensor: true)
    }
}

extension Tensor {
    fileprivate init(_ proto: Onnx__TensorProto, limits: ONNXLimits) throws(ONNXError) {
        if proto.has_data_location != 0 && proto.data_location == 1 || proto.n_external_data > 0 {
            throw .unsupported("tensor data stored in an external file is not supported")
        }
        let code = proto.has_data_type != 0 ? proto.data_type : 0
        guard let type = ElementType(rawValue: code) else {
            throw .unsupported("tensor data type \(code) (\(onnxDataTypeName(code))) is not supported")
        }
        var shape: [Int] = []
        for i in 0..<proto.n_dims {
            let d = proto.dims[i]
            guard d >= 0, d <= Int64(Int.max) else { throw .invalidModel("tensor has negative dimension \(d)") }
            shape.append(Int(d))
        }
        let count = try limits.elementCount(shape, "tensor")
        let raw = proto.has_raw_data != 0 ? proto.raw_data : ProtobufCBinaryData(len: 0, data: nil)
        let hasRaw = proto.has_raw_data != 0

        func fromRaw<T>(_: T.Type) throws(ONNXError) -> [T] {
            guard raw.len == count * MemoryLayout<T>.size else {
                throw .invalidModel(
                    "tensor of shape \(shape) and type \(type) needs \(count * MemoryLayout<T>.size) raw bytes, has \(raw.len)")
            }
            if count == 0 { return [] }
            // ONNX raw data is little-endian, like every platform this builds for.
            return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: raw.data, count: raw.len))
                initialized = count
            }
        }
        func fromField<C, T>(
            _ n: Int, _ pointer: UnsafeMutablePointer<C>?, _ field: String, _ convert: (C) -> T
        ) throws(ONNXError) -> [T] {
            guard n == count else {
                throw .invalidModel("tensor of shape \(shape) has \(n) values in \(field), expected \(count)")
            }
            guard n > 0, let pointer else { return [] }
            return UnsafeBufferPointer(start: pointer, count: n).map(convert)
        }

        /// From `raw_data` when the tensor has it, else from the typed field.
        func values<C, T>(
            _ n: Int, _ pointer: UnsafeMutablePointer<C>?, _ field: String, _ convert: (C) -> T
        ) throws(ONNXError) -> [T] {
            hasRaw ? try fromRaw(T.self) : try fromField(n, pointer, field, convert)
        }

        let storage: Storage
        switch type {
        case .float32: storage = .float32(try values(proto.n_float_data, proto.float_data, "float_data") { $0 })
        case .float64: storage = .float64(try values(proto.n_double_data, proto.double_data, "double_data") { $0 })
        case .int64: storage = .int64(try values(proto.n_int64_data, proto.int64_data, "int64_data") { $0 })
        case .int32: storage = .int32(try values(proto.n_int32_data, proto.int32_data, "int32_data") { $0 })
        case .uint8:
            storage = .uint8(try values(proto.n_int32_data, proto.int32_data, "int32_data") { UInt8(truncatingIfNeeded: $0) })
        case .int8:
            storage = .int8(try values(proto.n_int32_data, proto.int32_data, "int32_data") { Int8(truncatingIfNeeded: $0) })
        case .bool:
            storage = .bool(
                hasRaw
                    ? try fromRaw(UInt8.self).map { $0 != 0 }
                    : try fromField(proto.n_int32_data, proto.int32_data, "int32_data") { $0 != 0 })
        case .string:
            guard proto.n_string_data == count else {
                throw .invalidModel("string tensor of shape \(shape) has \(proto.n_string_data) values, expected \(count)")
            }
            storage = .string((0..<count).map { String(decoding: CString.bytes(proto.string_data[$0]), as: UTF8.self) })
        }
        self.init(shape: shape, storage: storage)
    }
}

/// The ONNX name of a `TensorProto.DataType` code, for messages about types the engine lacks.
func onnxDataTypeName(_ code: Int32) -> String {
    switch code {
    case 0: "UNDEFINED"
    case 4: "UINT16"
    case 5: "INT16"
    case 10: "FLOAT16"
    case 12: "UINT32"
    case 13: "UINT64"
    case 14: "COMPLEX64"
    case 15: "COMPLEX128"
    case 16: "BFLOAT16"
    case 17...20: "FLOAT8"
    case 21: "UINT4"
    case 22: "INT4"
    default: Tensor.ElementType(rawValue: code)?.description ?? "code \(code)"
    }
}

/// A minimal protobuf writer, so tests can build messages the library's encoder never produces
/// (typed contents in the wrong field, missing parameter values) independently of protobuf-c.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func tag(_ field: Int, wireType: Int) {
        varint(UInt64(field << 3 | wireType))
    }

    mutating func uint(_ field: Int, _ value: UInt64) {
        tag(field, wireType: 0)
        varint(value)
    }

    mutating func int(_ field: Int, _ value: Int64) {
        uint(field, UInt64(bitPattern: value))
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, wireType: 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    mutating func double(_ field: Int, _ value: Double) {
        tag(field, wireType: 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A length-delimited field whose content `build` writes: a sub-message or a packed array.
    mutating func nested(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }

    /// Packed varints (int32, int64, uint32, uint64, bool).
    mutating func packedVarints(_ field: Int, _ values: [UInt64]) {
        nested(field) { writer in for value in values { writer.varint(value) } }
    }

    /// Packed fixed-size little-endian values (float, double).
    mutating func packedFixed<T: BitwiseCopyable>(_ field: Int, _ values: [T]) {
        nested(field) { writer in values.withUnsafeBytes { writer.bytes.append(contentsOf: $0) } }
    }

    /// An `InferInputTensor` (or output tensor: same field numbers) with typed contents.
    static func tensor(
        name: String, datatype: String, shape: [Int64], contents: ((inout ProtoWriter) -> Void)? = nil
    ) -> [UInt8] {
        var writer = ProtoWriter()
        writer.string(1, name)
        writer.string(2, datatype)
        writer.packedVarints(3, shape.map { UInt64(bitPattern: $0) })
        if let contents { writer.nested(5, contents) }
        return writer.bytes
    }

    /// A `ModelInferRequest` for model `m` with `inputs` (encoded tensors) and raw contents.
    static func request(inputs: [[UInt8]], raw: [[UInt8]] = []) -> [UInt8] {
        var writer = ProtoWriter()
        writer.string(1, "m")
        for input in inputs { writer.bytes(5, input) }
        for entry in raw { writer.bytes(7, entry) }
        return writer.bytes
    }
}

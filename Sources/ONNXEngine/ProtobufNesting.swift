internal import CProtobufC

/// libprotobuf-c unpacks nested messages by recursion with no depth limit, and ONNX messages
/// nest (a graph in a node attribute in a graph, a type in a type), so a crafted model of a few
/// hundred kilobytes overflows the stack and crashes the process. This walks the wire format
/// with the generated descriptors first, recursing at most `maxDepth` levels, so deeper models
/// are refused before protobuf-c unpacks them.
enum ProtobufNesting {
    /// protobuf's own default recursion limit; real models nest a handful of levels.
    static let maxDepth = 100

    /// Whether `bytes`, read as a `descriptor` message, nests messages deeper than `maxDepth`.
    /// Malformed bytes answer false: unpacking them fails anyway, before recursing past them.
    static func isTooDeep(_ bytes: UnsafeRawBufferPointer, _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> Bool {
        exceeds(bytes, descriptor, depth: 1)
    }

    private static func exceeds(
        _ bytes: UnsafeRawBufferPointer, _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, depth: Int
    ) -> Bool {
        if depth > maxDepth { return true }
        var index = 0
        while index < bytes.count {
            guard let tag = varint(bytes, &index) else { return false }
            switch tag & 7 {
            case 0: guard varint(bytes, &index) != nil else { return false }
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = varint(bytes, &index), length <= UInt64(bytes.count - index) else { return false }
                let payload = UnsafeRawBufferPointer(rebasing: bytes[index..<index + Int(length)])
                index += Int(length)
                guard tag >> 3 <= UInt64(UInt32.max),
                    let field = protobuf_c_message_descriptor_get_field(descriptor, UInt32(tag >> 3)),
                    field.pointee.type == PROTOBUF_C_TYPE_MESSAGE, let child = field.pointee.descriptor
                else { continue }
                if exceeds(payload, child.assumingMemoryBound(to: ProtobufCMessageDescriptor.self), depth: depth + 1) {
                    return true
                }
            default:
                return false  // groups: protobuf-c refuses them
            }
        }
        return false
    }

    /// Reads a base-128 varint at `index`; nil when truncated or longer than 10 bytes.
    private static func varint(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }
}

import RPCCore

#if _endian(big)
// Tensor data is raw little-endian bytes and typed contents are copied to and from it with
// memcpy; a big-endian host would need byte swaps everywhere.
#error("InferenceAPI assumes a little-endian host")
#endif

/// The size rules of tensor data, shared by decoding and `InferTensor.validate()`: element
/// counts from shapes, and the layout of BYTES data (a 4-byte little-endian length before each
/// element).
public enum TensorLayout {
    /// The number of elements `shape` describes (1 for a scalar's empty shape).
    ///
    /// INVALID_ARGUMENT naming `tensor` for a negative dimension or a count that overflows.
    public static func elementCount(shape: [Int64], tensor: @autoclosure () -> String) throws(RPCError) -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw RPCError(.invalidArgument, "\(tensor()) has a negative dimension in shape \(format(shape))")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dimension))
            guard !overflow else {
                throw RPCError(.invalidArgument, "\(tensor()) has too many elements in shape \(format(shape))")
            }
            count = product
        }
        return count
    }

    /// Checks that `data`, found in `field`, holds exactly `count` elements of `datatype`.
    static func checkData(
        _ data: UnsafeRawBufferPointer, datatype: TensorDataType, shape: [Int64], count: Int,
        tensor: @autoclosure () -> String, field: @autoclosure () -> String
    ) throws(RPCError) {
        if let size = datatype.elementByteSize {
            let (expected, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw RPCError(.invalidArgument, "\(tensor()) has too many elements in shape \(format(shape))")
            }
            guard data.count == expected else {
                throw RPCError(
                    .invalidArgument,
                    "\(tensor()) of datatype \(datatype) and shape \(format(shape)) needs \(count) elements = "
                        + "\(expected) bytes, but \(field()) has \(data.count) bytes")
            }
        } else {
            let found = try bytesElementCount(data, tensor: tensor(), field: field())
            guard found == count else {
                throw RPCError(
                    .invalidArgument,
                    "\(tensor()) of datatype BYTES and shape \(format(shape)) needs \(count) elements, "
                        + "but \(field()) holds \(found)")
            }
        }
    }

    /// Counts the elements of BYTES data; INVALID_ARGUMENT when a length runs past the end.
    static func bytesElementCount(
        _ data: UnsafeRawBufferPointer, tensor: String, field: String
    ) throws(RPCError) -> Int {
        var count = 0
        var offset = 0
        while offset < data.count {
            guard data.count - offset >= 4 else {
                throw RPCError(
                    .invalidArgument,
                    "\(tensor): BYTES element \(count) in \(field) has a truncated 4-byte length prefix "
                        + "(\(data.count - offset) bytes left)")
            }
            let length = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += 4
            guard data.count - offset >= length else {
                throw RPCError(
                    .invalidArgument,
                    "\(tensor): BYTES element \(count) in \(field) declares \(length) bytes but only "
                        + "\(data.count - offset) remain")
            }
            offset += length
            count += 1
        }
        return count
    }

    /// Calls `body` with each element of well-formed BYTES data, stopping at a malformed tail.
    static func forEachBytesElement(
        _ data: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        var offset = 0
        while data.count - offset >= 4 {
            let length = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += 4
            guard data.count - offset >= length else { return }
            body(UnsafeRawBufferPointer(rebasing: data[offset..<offset + length]))
            offset += length
        }
    }

    /// `[2, 3]`, as shapes appear in error messages.
    static func format(_ shape: [Int64]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}

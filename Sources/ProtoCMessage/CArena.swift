// The shared machinery of every conversion layer: C memory for one encoding, and readers for
// generated struct fields. Conversion code never lets a C pointer escape a call.
// protobuf-c strings are NUL-terminated C strings, so a string field with an embedded NUL is
// cut at it; no field we define needs one.
package import CProtobufC

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Owns the C memory of one encoding: every struct, pointer array and string the message tree
/// needs is allocated here and freed together once the message is packed.
package final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    /// Runs `body` with a fresh arena and frees everything it allocated when `body` returns.
    package static func with<Result>(_ body: (CArena) -> Result) -> Result {
        let arena = CArena()
        // Freed explicitly rather than in deinit: ARC may end an object's life at its last use,
        // which could be before `pack` reads the memory.
        defer { arena.freeAll() }
        return body(arena)
    }

    /// Zeroed memory for `count` values (at least one, so the pointer is never null).
    package func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        let count = max(count, 1)
        guard let raw = calloc(count, MemoryLayout<T>.stride) else { fatalError("out of memory") }
        blocks.append(raw)
        return raw.bindMemory(to: T.self, capacity: count)
    }

    /// A NUL-terminated copy of `string`.
    package func string(_ string: String) -> UnsafeMutablePointer<CChar> {
        guard let copy = strdup(string) else { fatalError("out of memory") }
        blocks.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    /// A C array of copies of `strings`.
    package func strings(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count: strings.count)
        for (index, string) in strings.enumerated() { array[index] = self.string(string) }
        return array
    }

    /// A C array holding a copy of `values`.
    package func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let array = allocate(T.self, count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { array.update(from: base, count: source.count) }
        }
        return array
    }

    /// A copy of `bytes` as protobuf-c binary data.
    package func binary(copying bytes: UnsafeRawBufferPointer) -> ProtobufCBinaryData {
        let copy = allocate(UInt8.self, count: bytes.count)
        if let base = bytes.baseAddress { UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: bytes.count) }
        return ProtobufCBinaryData(len: bytes.count, data: copy)
    }

    private func freeAll() {
        for block in blocks { free(block) }
        blocks.removeAll()
    }
}

/// Helpers for reading and writing the generated C structs (packing itself is `ProtoCMessage`).
package enum ProtoCCodec {
    /// A Swift string from a C string field (never null after unpack, but a null reads as "").
    package static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    /// The strings of a repeated string field.
    package static func strings(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int) -> [String] {
        (0..<count).map { string(pointer?[$0]) }
    }

    /// The values of a repeated scalar field.
    package static func array<T>(_ pointer: UnsafeMutablePointer<T>?, count: Int) -> [T] {
        guard count > 0, let pointer else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// Calls `body` with stable pointers to each array's bytes, without copying when there are
    /// few (each pin nests one closure, so many would use much stack) and from arena copies
    /// otherwise.
    package static func withStableBytes<Result>(
        _ arrays: [[UInt8]], arena: CArena, _ body: ([UnsafeRawBufferPointer]) -> Result
    ) -> Result {
        var stable: [UnsafeRawBufferPointer] = []
        stable.reserveCapacity(arrays.count)
        if arrays.count > 64 {
            for array in arrays {
                let copy = array.withUnsafeBytes { arena.binary(copying: $0) }
                stable.append(UnsafeRawBufferPointer(start: copy.data, count: copy.len))
            }
            return body(stable)
        }
        return pin(arrays[...], into: &stable, body)
    }

    private static func pin<Result>(
        _ rest: ArraySlice<[UInt8]>, into stable: inout [UnsafeRawBufferPointer],
        _ body: ([UnsafeRawBufferPointer]) -> Result
    ) -> Result {
        guard let first = rest.first else { return body(stable) }
        return first.withUnsafeBytes { bytes in
            stable.append(bytes)
            return pin(rest.dropFirst(), into: &stable, body)
        }
    }
}

extension ProtobufCBinaryData {
    /// The bytes, as a view valid while the owning message is.
    package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: data, count: len) }
}

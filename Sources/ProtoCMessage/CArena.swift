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

/// Owns the C memory of one message tree: every struct, pointer array, string and byte copy it
/// needs is carved out of a few malloc'd chunks and freed together at the end.
///
/// One chunk serves a typical inference message, so encoding or decoding one costs two
/// mallocs (this object and its chunk) instead of one per string and struct.
package final class CArena {
    /// The most recent block; each block starts with a pointer to the one before it.
    private var blocks: UnsafeMutableRawPointer?
    /// The free part of the current chunk.
    private var next: UnsafeMutableRawPointer?
    private var end: UnsafeMutableRawPointer?
    private var chunkSize = CArena.firstChunkSize

    private static let firstChunkSize = 2048
    private static let largestChunkSize = 64 * 1024
    /// Every piece is aligned like this, which suits every C type protobuf-c uses.
    private static let alignment = 16
    /// Room kept at the start of every block for the link to the previous block.
    private static let header = 16

    package init() {}

    /// Runs `body` with a fresh arena and frees everything it allocated when `body` returns.
    package static func with<Result, Failure>(_ body: (CArena) throws(Failure) -> Result) throws(Failure) -> Result {
        let arena = CArena()
        // Freed explicitly rather than in deinit: ARC may end an object's life at its last use,
        // which could be before `pack` reads the memory.
        defer { arena.freeAll() }
        return try body(arena)
    }

    /// `byteCount` bytes, aligned, not zeroed; pieces larger than a quarter of a chunk get a
    /// block of their own, so a large tensor never wastes a chunk.
    package func allocateBytes(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let size = max(Self.alignment, (byteCount + Self.alignment - 1) & ~(Self.alignment - 1))
        if let next, let end, next.distance(to: end) >= size {
            self.next = next + size
            return next
        }
        if size > chunkSize / 4 { return newBlock(payload: size) }
        let chunk = newBlock(payload: chunkSize)
        next = chunk + size
        end = chunk + chunkSize
        chunkSize = min(chunkSize * 2, Self.largestChunkSize)
        return chunk
    }

    /// A fresh block with room for `payload` bytes, linked in; returns the payload's start.
    private func newBlock(payload: Int) -> UnsafeMutableRawPointer {
        guard let block = malloc(Self.header + payload) else { fatalError("out of memory") }
        block.storeBytes(of: blocks, as: UnsafeMutableRawPointer?.self)
        blocks = block
        return block + Self.header
    }

    /// Zeroed memory for `count` values (at least one, so the pointer is never null).
    package func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        let byteCount = max(count, 1) * MemoryLayout<T>.stride
        let raw = allocateBytes(byteCount)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// A NUL-terminated copy of `string`.
    package func string(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let copy = allocateBytes(utf8.count + 1)
            if let base = utf8.baseAddress { copy.copyMemory(from: base, byteCount: utf8.count) }
            copy.storeBytes(of: 0, toByteOffset: utf8.count, as: CChar.self)
            return copy.bindMemory(to: CChar.self, capacity: utf8.count + 1)
        }
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
        let copy = allocateBytes(bytes.count)
        if let base = bytes.baseAddress { copy.copyMemory(from: base, byteCount: bytes.count) }
        return ProtobufCBinaryData(len: bytes.count, data: copy.assumingMemoryBound(to: UInt8.self))
    }

    /// A protobuf-c allocator that takes its memory from this arena and frees nothing itself:
    /// what an unpack allocates goes when the arena does. Valid while the arena is alive.
    package var allocator: ProtobufCAllocator {
        ProtobufCAllocator(
            alloc: { data, size in
                Unmanaged<CArena>.fromOpaque(data!).takeUnretainedValue().allocateBytes(size)
            },
            free: { _, _ in },
            allocator_data: Unmanaged.passUnretained(self).toOpaque())
    }

    private func freeAll() {
        while let block = blocks {
            blocks = block.load(as: UnsafeMutableRawPointer?.self)
            free(block)
        }
        next = nil
        end = nil
    }
}

/// Helpers for reading and writing the generated C structs (packing itself is `ProtoCMessage`).
package enum ProtoCCodec {
    /// A Swift string from a C string field (never null after unpack, but a null reads as "").
    @inlinable package static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    /// The strings of a repeated string field.
    package static func strings(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int) -> [String] {
        (0..<count).map { string(pointer?[$0]) }
    }

    /// The values of a repeated scalar field.
    @inlinable package static func array<T>(_ pointer: UnsafeMutablePointer<T>?, count: Int) -> [T] {
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

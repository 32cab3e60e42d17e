/// gRPC length-prefixed message framing: a 1-byte compressed flag, a 4-byte big-endian length,
/// then the message.
public enum MessageFraming {
    /// Bytes in a message prefix.
    public static let prefixLength = 5

    /// Frames one uncompressed message.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        var framed = [UInt8]()
        framed.reserveCapacity(prefixLength + message.count)
        appendPrefix(length: message.count, to: &framed)
        framed.append(contentsOf: message)
        return framed
    }

    /// Appends the 5-byte prefix of an uncompressed message of `length` bytes.
    public static func appendPrefix(length: Int, to bytes: inout [UInt8]) {
        precondition(length >= 0 && length <= Int(UInt32.max), "gRPC messages are at most 4 GiB")
        let length = UInt32(length)
        bytes.append(0)
        bytes.append(UInt8(truncatingIfNeeded: length >> 24))
        bytes.append(UInt8(truncatingIfNeeded: length >> 16))
        bytes.append(UInt8(truncatingIfNeeded: length >> 8))
        bytes.append(UInt8(truncatingIfNeeded: length))
    }
}

/// Splits a stream of DATA bytes into gRPC messages.
///
/// Messages may arrive split over many DATA frames or several in one frame. The size limit is
/// checked from the length prefix, before any of the message is buffered.
public struct MessageDeframer: Sendable {
    /// The largest message accepted, in bytes.
    public let maxMessageLength: Int

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failed: RPCError?

    public init(maxMessageLength: Int) {
        self.maxMessageLength = maxMessageLength
    }

    /// True while a message is partly received (useful to tell a truncated stream at its end).
    public var hasPartialMessage: Bool { buffer.count > readIndex }

    /// Appends received bytes and returns the messages they complete.
    ///
    /// Throws RESOURCE_EXHAUSTED for a prefix over the limit and INTERNAL for a compressed
    /// message (no compression is negotiated); after an error every call throws it again.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws(RPCError) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        try append(bytes) { message throws(RPCError) in messages.append(message) }
        return messages
    }

    /// Appends received bytes and hands each message they complete to `deliver`, in order,
    /// without collecting them in an array first; errors as `append(_:)`, and an error
    /// `deliver` throws ends the call.
    public mutating func append(
        _ bytes: UnsafeRawBufferPointer, each deliver: ([UInt8]) throws(RPCError) -> Void
    ) throws(RPCError) {
        if let failed { throw failed }
        var bytes = bytes
        if buffer.count == readIndex {
            // Nothing buffered: take whole messages straight from the input, buffer only the rest.
            while bytes.count >= MessageFraming.prefixLength {
                let length = try checkedLength(flag: bytes[0], bytes[1], bytes[2], bytes[3], bytes[4])
                guard bytes.count - MessageFraming.prefixLength >= length else { break }
                let end = MessageFraming.prefixLength + length
                try deliver(Array(bytes[MessageFraming.prefixLength..<end]))
                bytes = UnsafeRawBufferPointer(rebasing: bytes[end...])
            }
            if bytes.isEmpty { return }
        }
        buffer.append(contentsOf: bytes)
        while buffer.count - readIndex >= MessageFraming.prefixLength {
            let length = try checkedLength(
                flag: buffer[readIndex], buffer[readIndex + 1], buffer[readIndex + 2], buffer[readIndex + 3],
                buffer[readIndex + 4])
            let start = readIndex + MessageFraming.prefixLength
            guard buffer.count - start >= length else {
                buffer.reserveCapacity(start + length)
                break
            }
            let message = Array(buffer[start..<start + length])
            readIndex = start + length
            try deliver(message)
        }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 65_536)
            readIndex = 0
        } else if readIndex > 65_536 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }

    /// Reads a message prefix, refusing compression and oversized lengths; an error is
    /// remembered so every later call fails the same way.
    private mutating func checkedLength(flag: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8) throws(RPCError) -> Int {
        let length = Int(b1) << 24 | Int(b2) << 16 | Int(b3) << 8 | Int(b4)
        var error: RPCError?
        if flag == 1 {
            error = RPCError(
                .internal, "received a compressed message but no compression was negotiated (grpc-encoding is identity)")
        } else if flag != 0 {
            error = RPCError(.internal, "malformed message prefix: compressed flag is \(flag), expected 0 or 1")
        } else if length > maxMessageLength {
            error = RPCError(
                .resourceExhausted, "message of \(length) bytes is larger than the limit of \(maxMessageLength) bytes")
        }
        if let error {
            failed = error
            throw error
        }
        return length
    }

    /// Convenience for tests and callers holding an array.
    public mutating func append(_ bytes: [UInt8]) throws(RPCError) -> [[UInt8]] {
        var result: Result<[[UInt8]], RPCError> = .success([])
        bytes.withUnsafeBytes { raw in
            do throws(RPCError) { result = .success(try append(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }
}

import RPCCore
import Testing

/// Appends `bytes` expecting the deframer to throw; returns the error.
private func appendExpectingError(
    _ bytes: [UInt8], to deframer: inout MessageDeframer, sourceLocation: SourceLocation = #_sourceLocation
) -> RPCError? {
    do {
        let messages = try deframer.append(bytes)
        Issue.record("expected an RPCError, got \(messages.count) messages", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite("MessageDeframer")
struct MessageDeframerTests {
    @Test func oneMessageInOneChunk() throws {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        let messages = try deframer.append(MessageFraming.frame([1, 2, 3]))
        #expect(messages == [[1, 2, 3]])
        #expect(!deframer.hasPartialMessage)
    }

    @Test func severalMessagesInOneChunk() throws {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        let sent: [[UInt8]] = [[1], [], [2, 3, 4], Array(repeating: 9, count: 300)]
        let chunk = sent.flatMap(MessageFraming.frame)
        #expect(try deframer.append(chunk) == sent)
        #expect(!deframer.hasPartialMessage)
    }

    @Test func messageSplitByteByByte() throws {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let framed = MessageFraming.frame(message)
        var received: [[UInt8]] = []
        for (index, byte) in framed.enumerated() {
            received += try deframer.append([byte])
            if index < framed.count - 1 {
                // Every prefix byte and every body byte but the last leaves the message partial.
                #expect(received.isEmpty, "message completed early at byte \(index)")
                #expect(deframer.hasPartialMessage, "no partial message after byte \(index)")
            }
        }
        #expect(received == [message])
        #expect(!deframer.hasPartialMessage)
    }

    @Test func messagesStraddlingChunks() throws {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        let stream = MessageFraming.frame([1, 2, 3]) + MessageFraming.frame([4, 5])
        // Splits inside the first body, then inside the second prefix, then at the end.
        #expect(try deframer.append(Array(stream[0..<6])) == [])
        #expect(try deframer.append(Array(stream[6..<10])) == [[1, 2, 3]])
        #expect(deframer.hasPartialMessage)
        #expect(try deframer.append(Array(stream[10...])) == [[4, 5]])
        #expect(!deframer.hasPartialMessage)
    }

    @Test func emptyMessage() throws {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        #expect(try deframer.append([0, 0, 0, 0, 0]) == [[]])
        #expect(!deframer.hasPartialMessage)
    }

    @Test func emptyAppendIsHarmless() throws {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        #expect(try deframer.append([]) == [])
        #expect(!deframer.hasPartialMessage)
    }

    @Test func messageAtTheLimitIsAccepted() throws {
        var deframer = MessageDeframer(maxMessageLength: 4)
        #expect(try deframer.append(MessageFraming.frame([1, 2, 3, 4])) == [[1, 2, 3, 4]])
    }

    @Test func oversizedPrefixIsResourceExhaustedBeforeAnyBody() throws {
        var deframer = MessageDeframer(maxMessageLength: 16)
        // Length 17, big-endian; no body bytes follow.
        let prefix: [UInt8] = [0, 0, 0, 0, 17]
        for byte in prefix.dropLast() {
            #expect(try deframer.append([byte]) == [])
        }
        let error = appendExpectingError([prefix.last!], to: &deframer)
        #expect(error?.code == .resourceExhausted)
        #expect(error?.message.contains("17") == true)
        #expect(error?.message.contains("16") == true)
    }

    @Test func hugeDeclaredLengthIsResourceExhausted() {
        var deframer = MessageDeframer(maxMessageLength: 4 * 1024 * 1024)
        let error = appendExpectingError([0, 0xFF, 0xFF, 0xFF, 0xFF], to: &deframer)
        #expect(error?.code == .resourceExhausted)
    }

    @Test func compressedFlagIsInternalAndMentionsCompression() {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        let error = appendExpectingError([1, 0, 0, 0, 2, 0xAA, 0xBB], to: &deframer)
        #expect(error?.code == .internal)
        #expect(error?.message.contains("compress") == true)
    }

    @Test(arguments: [UInt8(2), 3, 0x80, 0xFF])
    func otherFlagsAreInternal(flag: UInt8) {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        let error = appendExpectingError([flag, 0, 0, 0, 1, 0xAA], to: &deframer)
        #expect(error?.code == .internal)
        #expect(error?.message.contains("\(flag)") == true)
    }

    @Test func badFlagIsDetectedFromThePrefixAlone() {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        let error = appendExpectingError([2, 0, 0, 0, 100], to: &deframer)
        #expect(error?.code == .internal)
    }

    @Test func messagesBeforeAnErrorInTheSameChunkAreNotReturned() {
        // The error wins: a chunk with a good message and then a bad prefix throws.
        var deframer = MessageDeframer(maxMessageLength: 8)
        let chunk = MessageFraming.frame([1]) + [0, 0, 0, 0, 9]
        let error = appendExpectingError(chunk, to: &deframer)
        #expect(error?.code == .resourceExhausted)
    }

    @Test(arguments: [
        [UInt8]([0, 0, 0, 1, 0]),  // over the limit
        [1, 0, 0, 0, 1, 7],  // compressed
        [5, 0, 0, 0, 1, 7],  // bad flag
    ])
    func everyAppendAfterAnErrorThrowsTheSameError(badChunk: [UInt8]) {
        var deframer = MessageDeframer(maxMessageLength: 16)
        let first = appendExpectingError(badChunk, to: &deframer)
        #expect(first != nil)
        // Valid, even empty, input afterwards gets the same error again.
        for next in [MessageFraming.frame([1, 2]), [], [0]] {
            let again = appendExpectingError(next, to: &deframer)
            #expect(again == first)
        }
    }

    @Test func appendFromRawBufferMatchesArray() throws {
        var deframer = MessageDeframer(maxMessageLength: 1024)
        let framed = MessageFraming.frame([7, 8, 9])
        var result: Result<[[UInt8]], RPCError> = .success([])
        framed.withUnsafeBytes { raw in
            do throws(RPCError) { result = .success(try deframer.append(raw)) } catch { result = .failure(error) }
        }
        #expect(try result.get() == [[7, 8, 9]])
    }

    @Test func largeChunkEndingMidMessageKeepsTheTail() throws {
        // Over 64 KiB consumed with a partial message left: the buffer is compacted and the tail
        // must survive it.
        var deframer = MessageDeframer(maxMessageLength: 1 << 20)
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        let framed = MessageFraming.frame(message)
        let chunk = Array([[UInt8]](repeating: framed, count: 70).joined()) + framed[0..<3]
        let first = try deframer.append(chunk)
        #expect(first.count == 70)
        #expect(deframer.hasPartialMessage)
        let rest = try deframer.append(Array(framed[3...]))
        #expect(rest == [message])
        #expect(!deframer.hasPartialMessage)
        #expect(try deframer.append(framed) == [message])
    }
}

@Suite("MessageFraming")
struct MessageFramingTests {
    @Test func prefixIsFlagThenBigEndianLength() {
        #expect(MessageFraming.frame([]) == [0, 0, 0, 0, 0])
        #expect(MessageFraming.frame([0xAB]) == [0, 0, 0, 0, 1, 0xAB])
        let body = [UInt8](repeating: 0x11, count: 0x0102_03)
        let framed = MessageFraming.frame(body)
        #expect(Array(framed.prefix(5)) == [0, 0x00, 0x01, 0x02, 0x03])
        #expect(framed.count == 5 + body.count)
        #expect(Array(framed.dropFirst(5)) == body)
    }

    @Test func appendPrefixEncodesEveryByte() {
        var bytes: [UInt8] = [0xEE]
        MessageFraming.appendPrefix(length: 0x1234_5678, to: &bytes)
        #expect(bytes == [0xEE, 0, 0x12, 0x34, 0x56, 0x78])
        var max: [UInt8] = []
        MessageFraming.appendPrefix(length: Int(UInt32.max), to: &max)
        #expect(max == [0, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(MessageFraming.prefixLength == 5)
    }
}

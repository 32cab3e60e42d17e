import RPCCore
import Testing

@testable import RPCTransport

// The server's per-call state machine driven with plain values: no channel, session or task.

private typealias Machine = ServerStreamStateMachine

private func machine(maxMessageLength: Int = 1024, response: ResponseMetadata = ResponseMetadata()) -> Machine {
    Machine(method: "/test.Service/Method", response: response, maxMessageLength: maxMessageLength)
}

private func receive(_ bytes: [UInt8], into machine: inout Machine) -> Machine.Action {
    bytes.withUnsafeBytes { machine.receivedData($0) }
}

private func value(_ name: String, in headers: HeaderList) -> String? {
    headers.first { $0.name == name }?.value
}

/// The request a handler is started with, or nil for any other action.
private func startedRequest(_ action: Machine.Action) -> [UInt8]? {
    if case .startHandler(let request) = action { return request }
    return nil
}

/// The parts of a `.close` action, flattened for assertions.
private struct Closed {
    var trailersOnly: HeaderList?
    var headers: HeaderList?
    var reply: [UInt8]?
    var trailers: HeaderList?
    var resetRequest: Bool
    var refused: StatusCode?

    /// The status block: the Trailers-Only block or the trailers.
    var status: HeaderList { trailersOnly ?? trailers ?? [] }
    var code: String? { value("grpc-status", in: status) }
    var message: String? { value("grpc-message", in: status).map(PercentEncoding.decode) }

    init?(_ action: Machine.Action) {
        guard case .close(let ending, let resetRequest, let refused) = action else { return nil }
        self.resetRequest = resetRequest
        self.refused = refused
        switch ending {
        case .trailersOnly(let block): trailersOnly = block
        case .body(let headers, let reply, let trailers):
            self.headers = headers
            self.reply = reply
            self.trailers = trailers
        }
    }
}

@Suite struct ServerStreamStateMachineTests {
    @Test func unaryCall() throws {
        var m = machine()
        #expect(receive(MessageFraming.frame([1, 2, 3]), into: &m).isNone)
        #expect(startedRequest(m.requestEnded()) == [1, 2, 3])
        let closed = try #require(Closed(m.handlerReturned([9, 9])))
        #expect(value(":status", in: closed.headers ?? []) == "200")
        #expect(value("content-type", in: closed.headers ?? []) == "application/grpc")
        #expect(closed.reply == [9, 9])
        #expect(closed.code == "0")
        #expect(closed.trailersOnly == nil && !closed.resetRequest && closed.refused == nil)
        #expect(m.isFinished)
        #expect(m.streamClosed().isNone)
    }

    @Test func requestSplitAcrossDataAndSentWithHeaders() throws {
        var m = machine()
        let framed = MessageFraming.frame([1, 2, 3, 4])
        #expect(receive(Array(framed[..<3]), into: &m).isNone)
        #expect(receive(Array(framed[3...]), into: &m).isNone)
        #expect(startedRequest(m.requestEnded()) == [1, 2, 3, 4])
        let response = ResponseMetadata()
        response.addHeader("x-h", "1")
        response.addTrailer("x-t", "2")
        var withMetadata = machine(response: response)
        _ = receive(MessageFraming.frame([]), into: &withMetadata)
        #expect(startedRequest(withMetadata.requestEnded()) == [])
        let closed = try #require(Closed(withMetadata.handlerReturned([])))
        #expect(value("x-h", in: closed.headers ?? []) == "1")
        #expect(value("x-t", in: closed.trailers ?? []) == "2")
    }

    @Test func serverStreaming() throws {
        var m = machine()
        _ = receive(MessageFraming.frame([0]), into: &m)
        #expect(startedRequest(m.requestEnded()) == [0])
        guard case .sendMessage(let first, let headers) = m.handlerWrites([1]) else { Issue.record("no send"); return }
        #expect(first == [1] && value(":status", in: headers ?? []) == "200")
        guard case .sendMessage(let second, let noHeaders) = m.handlerWrites([2]) else { Issue.record("no send"); return }
        #expect(second == [2] && noHeaders == nil)
        let closed = try #require(Closed(m.handlerReturned(nil)))
        #expect(closed.headers == nil && closed.reply == nil && closed.code == "0")
        #expect(m.handlerWrites([3]).isRejectedWrite)
    }

    @Test func streamingWithoutRepliesIsTrailersOnlyOK() throws {
        var m = machine()
        _ = receive(MessageFraming.frame([0]), into: &m)
        _ = m.requestEnded()
        let closed = try #require(Closed(m.handlerReturned(nil)))
        let block = try #require(closed.trailersOnly)
        #expect(value(":status", in: block) == "200" && value("grpc-status", in: block) == "0")
    }

    @Test func messageOverTheLimitIsRefusedFromItsPrefix() throws {
        var m = machine(maxMessageLength: 10)
        // Only the 5-byte prefix of an 11-byte message: refused before any of it is buffered.
        let closed = try #require(Closed(receive([0, 0, 0, 0, 11], into: &m)))
        #expect(closed.code == String(StatusCode.resourceExhausted.rawValue))
        #expect(closed.refused == .resourceExhausted)
        #expect(closed.resetRequest, "the client is still uploading")
        #expect(closed.trailersOnly != nil)
        #expect(receive([1, 2, 3], into: &m).isNone)
        #expect(m.requestEnded().isNone)
    }

    @Test func truncatedMessageIsInternal() throws {
        var m = machine()
        #expect(receive([0, 0, 0, 0, 4, 1, 2], into: &m).isNone)
        let closed = try #require(Closed(m.requestEnded()))
        #expect(closed.code == String(StatusCode.internal.rawValue))
        #expect(closed.message?.contains("truncated") == true)
        #expect(closed.refused == .internal && !closed.resetRequest)
    }

    @Test func missingOrSecondMessageIsInternal() throws {
        var none = machine()
        let empty = try #require(Closed(none.requestEnded()))
        #expect(empty.code == String(StatusCode.internal.rawValue) && empty.refused == .internal)
        var two = machine()
        let closed = try #require(Closed(receive(MessageFraming.frame([1]) + MessageFraming.frame([2]), into: &two)))
        #expect(closed.message?.contains("one request message") == true)
    }

    @Test func resetCancelsTheHandler() {
        var m = machine()
        _ = receive(MessageFraming.frame([1]), into: &m)
        _ = m.requestEnded()
        guard case .cancelHandler = m.streamClosed() else { Issue.record("not cancelled"); return }
        #expect(m.handlerReturned([1]).isNone)
        #expect(m.handlerWrites([1]).isRejectedWrite)
        #expect(m.deadlineExpired().isNone)
    }

    @Test func deadlineWhileRunningFailsWithoutRefusing() throws {
        var m = machine()
        _ = receive(MessageFraming.frame([1]), into: &m)
        _ = m.requestEnded()
        _ = m.handlerWrites([1])
        let closed = try #require(Closed(m.deadlineExpired()))
        #expect(closed.code == String(StatusCode.deadlineExceeded.rawValue))
        #expect(closed.trailers != nil && closed.trailersOnly == nil, "headers went out with the first reply")
        #expect(closed.refused == nil)
        #expect(m.handlerReturned(nil).isNone)
    }

    @Test func deadlineBeforeTheHandlerIsRefused() throws {
        var m = machine()
        let closed = try #require(Closed(m.deadlineExpired()))
        #expect(closed.refused == .deadlineExceeded && closed.resetRequest)
        #expect(closed.trailersOnly != nil)
    }

    @Test func handlerErrorIsTrailersOnlyWithItsMetadata() throws {
        let response = ResponseMetadata()
        response.addTrailer("x-t", "1")
        var m = machine(response: response)
        _ = receive(MessageFraming.frame([1]), into: &m)
        _ = m.requestEnded()
        let error = RPCError(.notFound, "no such model", metadata: ["x-e": "2"])
        let closed = try #require(Closed(m.handlerFailed(error)))
        let block = try #require(closed.trailersOnly)
        #expect(value(":status", in: block) == "200")
        #expect(value("grpc-status", in: block) == String(StatusCode.notFound.rawValue))
        #expect(closed.message == "no such model")
        #expect(value("x-t", in: block) == "1" && value("x-e", in: block) == "2")
        #expect(closed.refused == nil)
    }

    @Test func trailersOverTheLimitAreResourceExhausted() throws {
        var m = machine()
        _ = receive(MessageFraming.frame([1]), into: &m)
        let closed = try #require(Closed(m.trailersTooLarge(limit: 100)))
        #expect(closed.code == String(StatusCode.resourceExhausted.rawValue) && closed.refused == .resourceExhausted)
    }
}

extension ServerStreamStateMachine.Action {
    fileprivate var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    fileprivate var isRejectedWrite: Bool {
        if case .rejectWrite = self { return true }
        return false
    }
}

/// The messages and end flag of a `.deliverRequests` action, or nil for any other action.
private func delivered(_ action: Machine.Action) -> (messages: [[UInt8]], ended: Bool)? {
    if case .deliverRequests(let messages, let ended) = action { return (messages, ended) }
    return nil
}

@Suite struct BidirectionalStateMachineTests {
    @Test func theHandlerStartsWithTheHeadersAndTakesMessagesAsTheyComplete() throws {
        var m = machine()
        #expect(startedRequest(m.bidirectionalCallStarted()) == [])
        let framed = MessageFraming.frame([1, 2]) + MessageFraming.frame([3])
        #expect(delivered(receive(Array(framed[0..<4]), into: &m))?.messages == nil)
        let first = try #require(delivered(receive(Array(framed[4...]), into: &m)))
        #expect(first.messages == [[1, 2], [3]] && !first.ended)
        let end = try #require(delivered(m.requestEnded()))
        #expect(end.messages.isEmpty && end.ended)
        #expect(m.handlerWrites([7]).isSendMessage)
        let closed = try #require(Closed(m.handlerReturned(nil)))
        #expect(closed.code == "0" && !closed.resetRequest && closed.refused == nil)
    }

    @Test func aTruncatedOrOversizedMessageFailsTheRunningCall() throws {
        var truncated = machine()
        _ = truncated.bidirectionalCallStarted()
        #expect(receive([0, 0, 0, 0, 9, 1], into: &truncated).isNone)
        let ended = try #require(Closed(truncated.requestEnded()))
        #expect(ended.code == String(StatusCode.internal.rawValue) && ended.refused == nil)

        var oversized = machine(maxMessageLength: 8)
        _ = oversized.bidirectionalCallStarted()
        let refused = try #require(Closed(receive([0, 0, 0, 0, 9], into: &oversized)))
        #expect(refused.code == String(StatusCode.resourceExhausted.rawValue))
        #expect(refused.resetRequest, "the caller is still sending")
    }
}

extension ServerStreamStateMachine.Action {
    fileprivate var isSendMessage: Bool {
        if case .sendMessage = self { return true }
        return false
    }
}

import RPCCore

/// One gRPC call on the server (one HTTP/2 stream) as a value: it is told what happens (request
/// bytes, the end of the request, the handler's replies and result, a deadline, a reset) and
/// answers with what the connection must do.
///
/// No channel, session or task inside, so the call's protocol decisions are tested with plain
/// values: one request message per unary or server-streaming call (a bidirectional call's
/// handler starts with the headers and is handed each message as it completes), the size limit
/// checked from the length prefix, a truncated request refused, Trailers-Only replies for errors
/// before any message, and which failures count as refused (those before the handler started).
/// `ServerStream` holds it and `ServerConnectionHandler` performs the actions.
struct ServerStreamStateMachine {
    /// What the connection must do after an event.
    enum Action {
        /// Nothing.
        case none
        /// Run the method's handler with this request message (empty for a bidirectional call).
        case startHandler(request: [UInt8])
        /// Hand a bidirectional call's handler these request messages; `ended`: the caller has
        /// ended its side after them.
        case deliverRequests([[UInt8]], ended: Bool)
        /// Queue a streamed reply, after `headers` when they are not sent yet.
        case sendMessage([UInt8], headers: HeaderList?)
        /// End the response as `ending` says, then cancel the handler and fail waiting writers.
        /// `resetRequest`: the client is still uploading, so tell it to stop (RST_STREAM
        /// NO_ERROR, which HTTP/2 allows once the response is complete). `refused`: the call
        /// ended before its handler started; report it with this code.
        case close(Ending, resetRequest: Bool, refused: StatusCode?)
        /// The call had not ended when its stream closed: cancel the handler, fail writers.
        case cancelHandler
        /// The call has already ended: refuse the handler's write.
        case rejectWrite
    }

    /// How a response ends.
    enum Ending {
        /// Headers, status and end of stream in one block: nothing was sent before.
        case trailersOnly(HeaderList)
        /// `headers` when not sent yet, then the final `reply` if any, ending with `trailers`.
        case body(headers: HeaderList?, reply: [UInt8]?, trailers: HeaderList)
    }

    private enum State {
        /// Collecting the request message; the handler has not started.
        case receiving(request: [UInt8]?)
        /// The handler is running.
        case running
        /// A bidirectional call's handler is running and takes request messages as they arrive.
        case streaming
        /// The status was sent or the stream closed; late events are ignored.
        case finished
    }

    /// The method path, for error messages.
    let method: String
    /// Read only when headers or trailers are sent: each read takes its lock.
    private let response: ResponseMetadata
    private var state = State.receiving(request: nil)
    private var deframer: MessageDeframer
    private var headersSent = false
    private var requestClosed = false

    init(method: String, response: ResponseMetadata, maxMessageLength: Int) {
        self.method = method
        self.response = response
        self.deframer = MessageDeframer(maxMessageLength: maxMessageLength)
    }

    /// A bidirectional call's headers arrived: its handler starts now, before any request message.
    mutating func bidirectionalCallStarted() -> Action {
        guard case .receiving(nil) = state else { return .none }
        state = .streaming
        return .startHandler(request: [])
    }

    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    // MARK: Request events

    /// Request DATA bytes arrived. An oversized prefix, a compressed message or a second message
    /// fails the call before anything is buffered.
    mutating func receivedData(_ bytes: UnsafeRawBufferPointer) -> Action {
        if case .streaming = state { return streamedData(bytes) }
        guard case .receiving(var request) = state else { return .none }
        let method = self.method
        do {
            try deframer.append(bytes) { message throws(RPCError) in
                guard request == nil else { throw RPCError(.internal, "\(method) takes one request message; received more") }
                request = message
            }
        } catch {
            return fail(error)
        }
        state = .receiving(request: request)
        return .none
    }

    /// The request ended (END_STREAM on DATA, headers or trailers): the handler starts with its
    /// one complete message.
    mutating func requestEnded() -> Action {
        requestClosed = true
        let streaming: Bool
        switch state {
        case .streaming: streaming = true
        case .receiving: streaming = false
        case .running, .finished: return .none
        }
        if deframer.hasPartialMessage {
            return fail(RPCError(.internal, "the request ended inside a message (truncated length-prefixed message)"))
        }
        if streaming { return .deliverRequests([], ended: true) }
        guard case .receiving(let request?) = state else {
            return fail(RPCError(.internal, "the request ended without a message"))
        }
        state = .running
        return .startHandler(request: request)
    }

    /// The request's trailers were over the header list limit of `limit` bytes.
    mutating func trailersTooLarge(limit: Int) -> Action {
        fail(RPCError(.resourceExhausted, "request trailers exceed \(limit) bytes"))
    }

    /// The call's deadline passed.
    mutating func deadlineExpired() -> Action {
        fail(RPCError(.deadlineExceeded, "deadline exceeded while serving \(method)"))
    }

    /// The stream closed: after our response, or reset by the client (then the handler is
    /// cancelled).
    mutating func streamClosed() -> Action {
        let wasOpen = !isFinished
        state = .finished
        return wasOpen ? .cancelHandler : .none
    }

    // MARK: Handler events

    /// A streaming handler writes a reply.
    mutating func handlerWrites(_ message: [UInt8]) -> Action {
        if isFinished { return .rejectWrite }
        return .sendMessage(message, headers: takeHeaders())
    }

    /// The handler returned: its one reply (unary), or nil after streaming its replies.
    mutating func handlerReturned(_ reply: [UInt8]?) -> Action {
        if isFinished { return .none }
        let trailers = response.trailers
        guard let reply else { return close(code: .ok, message: "", trailers: trailers, refused: nil) }
        let headers = takeHeaders()
        state = .finished
        return .close(
            .body(headers: headers, reply: reply, trailers: ResponseHeaderLists.status(.ok, "", trailers)),
            resetRequest: !requestClosed, refused: nil)
    }

    /// The handler threw.
    mutating func handlerFailed(_ error: any Error) -> Action {
        fail(RPCError(from: error))
    }

    /// Ends the call with an error status; a call whose handler never started counts as refused.
    mutating func fail(_ error: RPCError) -> Action {
        let refused: StatusCode?
        switch state {
        case .finished: return .none
        case .receiving: refused = error.code
        case .running, .streaming: refused = nil
        }
        var trailers = response.trailers
        for (name, value) in error.metadata { trailers.add(name, value) }
        return close(code: error.code, message: error.message, trailers: trailers, refused: refused)
    }

    // MARK: Helpers

    /// Request bytes of a bidirectional call: the messages they complete go to the handler.
    private mutating func streamedData(_ bytes: UnsafeRawBufferPointer) -> Action {
        do {
            let messages = try deframer.append(bytes)
            return messages.isEmpty ? .none : .deliverRequests(messages, ended: false)
        } catch {
            return fail(error)
        }
    }

    /// The response headers if they are still to be sent; marks them sent.
    private mutating func takeHeaders() -> HeaderList? {
        guard !headersSent else { return nil }
        headersSent = true
        return ResponseHeaderLists.headers(response.headers)
    }

    /// Ends the response with a status and no further reply.
    private mutating func close(code: StatusCode, message: String, trailers: Metadata, refused: StatusCode?) -> Action {
        let ending: Ending
        if headersSent {
            ending = .body(headers: nil, reply: nil, trailers: ResponseHeaderLists.status(code, message, trailers))
        } else {
            headersSent = true
            ending = .trailersOnly(ResponseHeaderLists.trailersOnly(headers: response.headers, code, message, trailers))
        }
        state = .finished
        return .close(ending, resetRequest: !requestClosed, refused: refused)
    }
}

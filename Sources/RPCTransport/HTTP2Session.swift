import CNGHTTP2
import NIOCore
import RPCCore

/// One header field as it travels (name lower-case, value raw).
struct HeaderField {
    var name: String
    var value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A header block, in order.
typealias HeaderList = [HeaderField]

extension Metadata {
    /// Adds a received header field as metadata, skipping pseudo-headers; the first one added
    /// makes room for `room` entries, so a block's custom fields take one allocation. nghttp2
    /// refuses upper-case header names, so received names are lower case already.
    mutating func addReceived(_ field: HeaderField, room: Int) {
        guard !field.name.hasPrefix(":") else { return }
        if isEmpty { reserveCapacity(room) }
        addLowercased(field.name, field.value)
    }
}

/// What an `HTTP2Session` reports while it parses received bytes; called synchronously from
/// inside `receive`, so implementations may submit frames in response.
protocol HTTP2SessionDelegate: AnyObject {
    /// A complete header block: request/response headers, or trailers.
    func session(_ session: HTTP2Session, headers: HeaderList, stream: Int32, endStream: Bool)
    /// A header block was larger than the configured limit; its headers were dropped.
    func session(_ session: HTTP2Session, headerListTooLargeOn stream: Int32, endStream: Bool)
    /// Body bytes; valid only for the duration of the call.
    func session(_ session: HTTP2Session, data: UnsafeRawBufferPointer, stream: Int32)
    /// The peer ended its side of the stream with a DATA frame.
    func session(_ session: HTTP2Session, endOfDataOn stream: Int32)
    /// The stream is gone; `errorCode` is 0 for a clean close, else the RST_STREAM code.
    func session(_ session: HTTP2Session, closed stream: Int32, errorCode: UInt32)
    /// The peer sent GOAWAY: streams above `lastStreamID` were not processed.
    func session(_ session: HTTP2Session, goAwayWithLastStream lastStreamID: Int32, errorCode: UInt32)
    /// The peer acknowledged one of our PINGs.
    func sessionReceivedPingAck(_ session: HTTP2Session)
}

/// An HTTP/2 protocol failure that ends the connection.
struct HTTP2SessionError: Error, CustomStringConvertible {
    let code: Int32
    var description: String { "HTTP/2 error: " + String(cString: nghttp2_strerror(code)) }
}

/// Owns one `nghttp2_session` and everything nghttp2 reads from us.
///
/// Bytes go in through `receive` (`nghttp2_session_mem_recv`) and come out of `drainOutput`
/// (`nghttp2_session_mem_send`). Bodies are queued per stream and handed to nghttp2 by a data
/// provider as flow control allows. Not thread-safe: used from one event loop only.
final class HTTP2Session {
    enum Role {
        case server
        case client
    }

    struct Settings {
        var maxConcurrentStreams: UInt32 = 256
        var initialWindowSize: UInt32 = 1 << 20
        var maxFrameSize: UInt32 = 16_384
        var maxHeaderListSize: Int = 16_384
        /// Received DATA is acknowledged (WINDOW_UPDATE) by this session rather than by nghttp2,
        /// so streams can be held back with `holdWindow(stream:)`; servers use it for
        /// bidirectional calls, whose requests are read only as fast as the handler reads them.
        var acknowledgesData = false
    }

    /// A stream's queued body and what ends it; a class so appending never copies the buffer.
    private final class Outbound {
        var buffer: [UInt8] = []
        var readIndex = 0
        var ended = false
        var trailers: HeaderList?
        var deferred = false

        var pendingBytes: Int { buffer.count - readIndex }

        /// Drops bytes nghttp2 has already taken once none are left to send.
        func compact() {
            if readIndex > 0, readIndex == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                readIndex = 0
            }
        }
    }

    /// Headers being collected until the header block ends. HTTP/2 never interleaves header
    /// blocks, so one block is in progress at a time.
    private struct IncomingHeaders {
        var stream: Int32
        var list: HeaderList = []
        var size = 0
        var tooLarge = false
    }

    let role: Role
    let settings: Settings
    /// The owner of the session, which outlives it (it holds the session strongly).
    unowned(unsafe) var delegate: (any HTTP2SessionDelegate)?

    private var session: OpaquePointer?
    private var outbound: [Int32: Outbound] = [:]
    private var incoming: IncomingHeaders?
    /// The last header block's list, kept for its capacity: the next block reuses it instead of
    /// allocating (delegates do not keep the list past their callback).
    private var spareHeaderList: HeaderList = []
    private var recentStrings = RecentHeaderStrings()
    /// Streams to reset once our side of them has been sent completely.
    private var resetWhenResponseSent: Set<Int32> = []
    /// Streams whose received bytes are acknowledged only by `releaseWindow`: the bytes held so far.
    private var heldWindows: [Int32: Int] = [:]

    init(role: Role, settings: Settings) throws {
        self.role = role
        self.settings = settings

        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)

        var options: OpaquePointer?
        nghttp2_option_new(&options)
        defer { nghttp2_option_del(options) }
        // Unary bodies are bounded by the message size limit, so their windows reopen as bytes
        // arrive (by nghttp2, or by `acknowledge` when held streams need manual acknowledgement).
        nghttp2_option_set_max_send_header_block_length(options, 65_536)
        if settings.acknowledgesData { nghttp2_option_set_no_auto_window_update(options, 1) }

        let userData = Unmanaged.passUnretained(self).toOpaque()
        let rc: Int32 =
            switch role {
            case .server: nghttp2_session_server_new2(&session, callbacks, userData, options)
            case .client: nghttp2_session_client_new2(&session, callbacks, userData, options)
            }
        guard rc == 0 else { throw HTTP2SessionError(code: rc) }

        var entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameSize),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(settings.maxHeaderListSize)),
        ]
        if role == .client {
            entries.removeFirst()  // servers do not open streams towards us
        }
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        // A connection-level window as large as the per-stream one, so one big message does not
        // stall every other stream.
        nghttp2_session_set_local_window_size(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(settings.initialWindowSize) * 8)
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: Input and output

    /// Feeds received bytes; delegate callbacks fire during the call.
    func receive(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let consumed = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if consumed < 0 { throw HTTP2SessionError(code: Int32(consumed)) }
    }

    /// What nghttp2 wants to send now, in one buffer of about `limit` bytes at most (it stops
    /// at the first chunk that reaches it); nil when nothing is pending.
    func drainOutput(allocator: ByteBufferAllocator, limit: Int = .max) throws -> ByteBuffer? {
        var output: ByteBuffer?
        while (output?.readableBytes ?? 0) < limit {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 { throw HTTP2SessionError(code: Int32(count)) }
            guard count > 0, let chunk else { return output }
            let bytes = UnsafeRawBufferPointer(start: chunk, count: count)
            if output == nil { output = allocator.buffer(capacity: max(count, 4096)) }
            output!.writeBytes(bytes)
        }
        return output
    }

    /// False once the session has nothing left to do (GOAWAY exchanged and streams closed).
    var isFinished: Bool {
        nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    // MARK: Submitting frames

    /// Sends response headers; with `endStream` they are the whole response (Trailers-Only).
    func submitResponse(stream: Int32, headers: HeaderList, endStream: Bool) {
        if endStream {
            withNameValues(headers) { nva in
                _ = nghttp2_submit_response(session, stream, nva.baseAddress, nva.count, nil)
            }
        } else {
            outbound[stream] = Outbound()
            withNameValues(headers) { nva in
                var provider = dataProvider()
                _ = nghttp2_submit_response(session, stream, nva.baseAddress, nva.count, &provider)
            }
        }
    }

    /// Opens a client stream with a body that `enqueue` fills. Returns the stream id, or nil when
    /// no more streams can be opened on this connection.
    func submitRequest(headers: HeaderList) -> Int32? {
        var provider = dataProvider()
        let stream = withNameValues(headers) { nva in
            nghttp2_submit_request(session, nil, nva.baseAddress, nva.count, &provider, nil)
        }
        guard stream > 0 else { return nil }
        outbound[stream] = Outbound()
        return stream
    }

    /// Queues one gRPC message (prefix and payload) on a stream opened with a body; see `enqueue`.
    @discardableResult
    func enqueueMessage(stream: Int32, _ message: [UInt8], end: Bool = false, trailers: HeaderList? = nil) -> Int {
        guard let body = outbound[stream], !body.ended else { return 0 }
        body.compact()
        // One allocation for prefix and payload, instead of one for each.
        body.buffer.reserveCapacity(body.buffer.count + MessageFraming.prefixLength + message.count)
        MessageFraming.appendPrefix(length: message.count, to: &body.buffer)
        return enqueue(stream: stream, bytes: message, end: end, trailers: trailers)
    }

    /// Queues body bytes on a stream opened with a body; `end` closes it after them, with
    /// `trailers` when given. Returns the bytes still queued for the stream.
    @discardableResult
    func enqueue(stream: Int32, bytes: [UInt8], end: Bool = false, trailers: HeaderList? = nil) -> Int {
        guard let body = outbound[stream], !body.ended else { return 0 }
        body.compact()
        body.buffer.append(contentsOf: bytes)
        body.ended = end
        body.trailers = trailers
        let wasDeferred = body.deferred
        body.deferred = false
        if wasDeferred { nghttp2_session_resume_data(session, stream) }
        return body.pendingBytes
    }

    /// Bytes queued on a stream and not yet taken by nghttp2.
    func pendingBytes(stream: Int32) -> Int { outbound[stream]?.pendingBytes ?? 0 }

    /// From now on the stream's received bytes count against its window until `releaseWindow`
    /// (the connection's window is still acknowledged at once, so other streams go on).
    /// Needs `Settings.acknowledgesData`.
    func holdWindow(stream: Int32) {
        guard settings.acknowledgesData, heldWindows[stream] == nil else { return }
        heldWindows[stream] = 0
    }

    /// Acknowledges every byte the stream has held back, reopening its window.
    func releaseWindow(stream: Int32) {
        guard let held = heldWindows[stream], held > 0 else { return }
        heldWindows[stream] = 0
        nghttp2_session_consume_stream(session, stream, held)
    }

    /// Bytes received on a held stream and not yet released.
    func heldBytes(stream: Int32) -> Int { heldWindows[stream] ?? 0 }

    /// Resets a stream (cancel, refuse, or drop the rest of a request).
    func resetStream(_ stream: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, errorCode)
    }

    /// Resets the stream with NO_ERROR once the response is fully sent: a peer still uploading
    /// after its answer stops, and the answer is not lost (a reset sent at once could overtake it).
    func resetAfterResponse(stream: Int32) {
        resetWhenResponseSent.insert(stream)
    }

    /// First half of a graceful close: tells the client to stop opening streams.
    func submitShutdownNotice() {
        nghttp2_submit_shutdown_notice(session)
    }

    /// The final GOAWAY, naming the last stream we will process.
    func submitGoAway(errorCode: UInt32 = 0) {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, nil, 0)
    }

    func submitPing() {
        nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    // MARK: Internals used by the C callbacks

    private func dataProvider() -> nghttp2_data_provider {
        var provider = nghttp2_data_provider()
        provider.read_callback = readBodyCallback
        return provider
    }

    /// Copies queued body bytes for nghttp2; defers when the queue is empty but not ended.
    fileprivate func readBody(
        stream: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int, flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let body = outbound[stream] else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, body.pendingBytes)
        if count > 0 {
            body.buffer.withUnsafeBufferPointer { source in
                buffer.update(from: source.baseAddress! + body.readIndex, count: count)
            }
            body.readIndex += count
        }
        if body.pendingBytes == 0 {
            if body.ended {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                if let trailers = body.trailers {
                    flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                    withNameValues(trailers) { nva in
                        _ = nghttp2_submit_trailer(session, stream, nva.baseAddress, nva.count)
                    }
                }
                return count
            }
            if count == 0 {
                body.deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
        }
        return count
    }

    fileprivate func beginHeaders(stream: Int32) {
        var headers = IncomingHeaders(stream: stream)
        swap(&headers.list, &spareHeaderList)
        headers.list.removeAll(keepingCapacity: true)
        if headers.list.capacity < 12 { headers.list.reserveCapacity(12) }
        incoming = headers
    }

    fileprivate func header(stream: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard incoming?.stream == stream, var headers = incoming.take() else { return }
        // RFC 7541 counts 32 bytes of overhead per entry.
        headers.size += name.count + value.count + 32
        if headers.size > settings.maxHeaderListSize {
            headers.tooLarge = true
            headers.list = []
        } else if !headers.tooLarge {
            headers.list.append(HeaderField(recentStrings.string(name), recentStrings.string(value)))
        }
        incoming = headers
    }

    fileprivate func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let header = frame.pointee.hd
        let stream = header.stream_id
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            guard incoming?.stream == stream, let headers = incoming.take() else { return }
            if headers.tooLarge {
                delegate?.session(self, headerListTooLargeOn: stream, endStream: endStream)
            } else {
                delegate?.session(self, headers: headers.list, stream: stream, endStream: endStream)
            }
            spareHeaderList = headers.list
        case NGHTTP2_DATA.rawValue:
            if endStream { delegate?.session(self, endOfDataOn: stream) }
        case NGHTTP2_GOAWAY.rawValue:
            delegate?.session(
                self, goAwayWithLastStream: frame.pointee.goaway.last_stream_id, errorCode: frame.pointee.goaway.error_code)
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 { delegate?.sessionReceivedPingAck(self) }
        default:
            break
        }
    }

    fileprivate func frameSent(_ frame: UnsafePointer<nghttp2_frame>) {
        let header = frame.pointee.hd
        guard header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0,
            resetWhenResponseSent.remove(header.stream_id) != nil
        else { return }
        resetStream(header.stream_id, errorCode: 0)
    }

    fileprivate func dataChunk(stream: Int32, bytes: UnsafeRawBufferPointer) {
        if settings.acknowledgesData { acknowledge(bytes.count, on: stream) }
        delegate?.session(self, data: bytes, stream: stream)
    }

    /// Acknowledges received body bytes: the connection's share at once, the stream's unless it
    /// is held.
    private func acknowledge(_ count: Int, on stream: Int32) {
        if !heldWindows.isEmpty, let held = heldWindows[stream] {
            heldWindows[stream] = held + count
            nghttp2_session_consume_connection(session, count)
        } else {
            nghttp2_session_consume(session, stream, count)
        }
    }

    fileprivate func streamClosed(stream: Int32, errorCode: UInt32) {
        outbound[stream] = nil
        if incoming?.stream == stream { incoming = nil }
        resetWhenResponseSent.remove(stream)
        heldWindows[stream] = nil
        delegate?.session(self, closed: stream, errorCode: errorCode)
    }

    private func withNameValues<R>(_ headers: HeaderList, _ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> R) -> R {
        // nghttp2 copies names and values during submit, so they only need to live this long:
        // all of them go into one buffer, and the name/value records point into it.
        var total = 0
        for field in headers { total += field.name.utf8.count + field.value.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(total, 1)) { bytes in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(headers.count, 1)) { nva in
                var offset = 0
                for (index, field) in headers.enumerated() {
                    let nameStart = offset
                    offset = Self.copyUTF8(of: field.name, into: bytes, at: offset)
                    let valueStart = offset
                    offset = Self.copyUTF8(of: field.value, into: bytes, at: offset)
                    nva[index] = nghttp2_nv(
                        name: bytes.baseAddress! + nameStart, value: bytes.baseAddress! + valueStart,
                        namelen: valueStart - nameStart, valuelen: offset - valueStart,
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
                }
                return body(UnsafeMutableBufferPointer(rebasing: nva[..<headers.count]))
            }
        }
    }

    /// Copies `string`'s UTF-8 bytes into `buffer` at `offset`, in one move when the string is
    /// stored contiguously (native strings are); returns the offset after them.
    private static func copyUTF8(of string: String, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        let copied = string.utf8.withContiguousStorageIfAvailable { source in
            guard let base = source.baseAddress else { return 0 }
            (buffer.baseAddress! + offset).update(from: base, count: source.count)
            return source.count
        }
        if let copied { return offset + copied }
        var end = offset
        for byte in string.utf8 { buffer[end] = byte; end += 1 }
        return end
    }
}

// MARK: C callbacks: non-capturing, recover the session from user_data.

private func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
    Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
}

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
    owner(userData).beginHeaders(stream: frame!.pointee.hd.stream_id)
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    owner(userData).header(
        stream: frame!.pointee.hd.stream_id,
        name: UnsafeBufferPointer(start: name, count: nameLength),
        value: UnsafeBufferPointer(start: value, count: valueLength))
    return 0
}

private let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
    owner(userData).frameReceived(frame!)
    return 0
}

private let onFrameSent: nghttp2_on_frame_send_callback = { _, frame, userData in
    owner(userData).frameSent(frame!)
    return 0
}

private let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, stream, data, length, userData in
    owner(userData).dataChunk(stream: stream, bytes: UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, stream, errorCode, userData in
    owner(userData).streamClosed(stream: stream, errorCode: errorCode)
    return 0
}

private let readBodyCallback: nghttp2_data_source_read_callback = { _, stream, buffer, length, flags, _, userData in
    owner(userData).readBody(stream: stream, into: buffer!, length: length, flags: flags!)
}

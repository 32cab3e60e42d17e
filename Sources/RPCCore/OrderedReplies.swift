/// Answers a bidirectional call's requests with one reply each, in request order, while up to
/// `maxInFlight` requests are answered at once.
///
/// A request is read only while fewer than `maxInFlight` are unanswered or waiting for an earlier
/// reply, so a caller that sends faster than the answers come is held back by the transport's
/// flow control rather than by memory; replies are written as soon as every earlier one is, so a
/// caller that waits for each reply before sending the next is never stuck.
public enum OrderedReplies {
    public static func serve(
        _ requests: any RequestStreamSource, to replies: any ResponseStreamSink, maxInFlight: Int,
        answer: @escaping @Sendable (_ request: [UInt8]) async -> [UInt8]
    ) async throws {
        precondition(maxInFlight > 0, "maxInFlight must be positive")
        try await withThrowingTaskGroup(of: Event.self) { group in
            var started = 0
            var written = 0
            var reading = true
            var ended = false
            var waiting: [Int: [UInt8]] = [:]
            group.addTask { .request(try await requests.next()) }
            while let event = try await group.next() {
                switch event {
                case .request(nil):
                    reading = false
                    ended = true
                case .request(let request?):
                    reading = false
                    let index = started
                    started += 1
                    group.addTask { .reply(index, await answer(request)) }
                case .reply(let index, let reply):
                    waiting[index] = reply
                    while let next = waiting.removeValue(forKey: written) {
                        try await replies.write(next)
                        written += 1
                    }
                }
                if !reading, !ended, started - written < maxInFlight {
                    reading = true
                    group.addTask { .request(try await requests.next()) }
                }
            }
        }
    }

    /// What a child task of `serve` reports: a request read (nil: the caller's side ended) or a
    /// request answered.
    private enum Event: Sendable {
        case request([UInt8]?)
        case reply(Int, [UInt8])
    }
}

import RPCCore
import Synchronization
import Testing

/// Requests from an array, counting how many were taken.
private final class ArraySource: RequestStreamSource {
    private let remaining: Mutex<[[UInt8]]>
    private let takenCount = Atomic<Int>(0)

    init(_ requests: [[UInt8]]) { remaining = Mutex(requests) }

    var taken: Int { takenCount.load(ordering: .relaxed) }

    func next() async throws -> [UInt8]? {
        let request = remaining.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        if request != nil { takenCount.add(1, ordering: .relaxed) }
        return request
    }
}

/// Collects written replies.
private final class CollectingSink: ResponseStreamSink {
    let replies = Mutex<[[UInt8]]>([])

    func write(_ message: [UInt8]) async throws {
        replies.withLock { $0.append(message) }
    }
}

@Suite("OrderedReplies")
struct OrderedRepliesTests {
    @Test func repliesKeepRequestOrderWhenAnswersFinishOutOfOrder() async throws {
        let requests = (0..<50).map { [UInt8($0)] }
        let sink = CollectingSink()
        try await OrderedReplies.serve(ArraySource(requests), to: sink, maxInFlight: 8) { request in
            // Later requests finish first within each window.
            try? await Task.sleep(for: .milliseconds(Int(8 - request[0] % 8)))
            return request + [1]
        }
        #expect(sink.replies.withLock { $0 } == requests.map { $0 + [1] })
    }

    @Test func noMoreThanMaxInFlightAreAnsweredAtOnce() async throws {
        let running = Atomic<Int>(0)
        let highest = Atomic<Int>(0)
        let source = ArraySource((0..<40).map { [UInt8($0)] })
        try await OrderedReplies.serve(source, to: CollectingSink(), maxInFlight: 4) { request in
            let now = running.add(1, ordering: .relaxed).newValue
            highest.max(now, ordering: .relaxed)
            try? await Task.sleep(for: .milliseconds(2))
            running.subtract(1, ordering: .relaxed)
            return request
        }
        #expect(highest.load(ordering: .relaxed) <= 4)
        #expect(source.taken == 40)
    }

    @Test func aFailedWriteEndsTheCall() async throws {
        struct Gone: Error {}
        final class FailingSink: ResponseStreamSink {
            func write(_ message: [UInt8]) async throws { throw Gone() }
        }
        await #expect(throws: Gone.self) {
            try await OrderedReplies.serve(ArraySource([[1], [2]]), to: FailingSink(), maxInFlight: 2) { $0 }
        }
    }
}

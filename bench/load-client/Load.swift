import Histogram
import InferenceAPI
import NIOCore
import RPCCore
import RPCTransport
import Synchronization

/// What one phase of load saw.
struct Tally: Sendable {
    /// Microseconds from a call's due time (open loop) or send time (closed loop) to its answer.
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: Tally.highestMicros, numberOfSignificantValueDigits: .three)
    /// Open loop: microseconds from a call's due time to the moment the client started it, the
    /// client's own share of the latency (pacing timer, task scheduling).
    var startLag = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: Tally.highestMicros, numberOfSignificantValueDigits: .two)
    var offeredRate: Double = 0
    var sent = 0
    var ok = 0
    var failed: [StatusCode: Int] = [:]
    /// Calls never sent because --max-in-flight were outstanding when they were due.
    var dropped = 0
    var seconds: Double = 0

    static let highestMicros: UInt64 = 60_000_000

    mutating func record(_ code: StatusCode, micros: UInt64) {
        _ = latency.record(min(max(micros, 1), Tally.highestMicros))
        if code == .ok { ok += 1 } else { failed[code, default: 0] += 1 }
    }
}

/// A phase's shared counters; a class because `Mutex` and `Atomic` cannot be copied into the
/// calls' tasks.
private final class Recorder: Sendable {
    let tally = Mutex(Tally())
    let inFlight = Atomic<Int>(0)
    let sent = Atomic<Int>(0)

    func record(_ code: StatusCode, since start: ContinuousClock.Instant) {
        let micros = (ContinuousClock.now - start).micros
        tally.withLock { $0.record(code, micros: micros) }
    }
}

/// Sends one prepared ModelInfer request over and over.
struct Load: Sendable {
    let client: RPCClient
    /// The loop the load's tasks run on (their executor), also used as the pacing timer.
    let eventLoop: any EventLoop
    let request: [UInt8]
    let maxInFlight: Int
    let timeout: Duration?

    /// One call alone; throws its error so a request the server rejects stops the run at once.
    func probe() async throws {
        // Open every connection now: RPCClient prefers a ready connection, so slots first used
        // after one is ready would otherwise stay idle and all calls would share one connection.
        client.connect()
        let raw = try await client.unaryRaw(InferenceMethods.modelInfer, request, timeout: timeout ?? .seconds(10))
        guard raw.messages.count == 1 else { throw RPCError(.internal, "ModelInfer sent \(raw.messages.count) replies") }
        _ = try InferResponse(wireBytes: raw.messages[0])
    }

    /// Open loop when `rate` > 0, closed loop otherwise.
    func run(rate: Double, seconds: Double) async -> Tally {
        rate > 0 ? await openLoop(rate: rate, seconds: seconds) : await closedLoop(seconds: seconds)
    }

    private func call() async -> StatusCode {
        do {
            _ = try await client.unaryRaw(InferenceMethods.modelInfer, request, timeout: timeout)
            return .ok
        } catch {
            return error.code
        }
    }

    private func openLoop(rate: Double, seconds: Double) async -> Tally {
        let recorder = Recorder()
        let interval = Duration.seconds(1) / rate
        let total = Int(rate * seconds)
        let start = ContinuousClock.now
        var sent = 0
        var dropped = 0
        await withDiscardingTaskGroup { group in
            var next = 0
            while next < total {
                // Start every call already due (a sleep wakes late; the due times do not move).
                let now = ContinuousClock.now
                while next < total, start + interval * next <= now {
                    let due = start + interval * next
                    next += 1
                    guard recorder.inFlight.add(1, ordering: .relaxed).newValue <= maxInFlight else {
                        recorder.inFlight.subtract(1, ordering: .relaxed)
                        dropped += 1
                        continue
                    }
                    sent += 1
                    group.addTask {
                        let lag = (ContinuousClock.now - due).micros
                        recorder.tally.withLock { _ = $0.startLag.record(min(max(lag, 1), Tally.highestMicros)) }
                        let code = await call()
                        recorder.inFlight.subtract(1, ordering: .relaxed)
                        recorder.record(code, since: due)
                    }
                }
                // Wait on the event loop's own timer: Task.sleep wakes a timer thread that then
                // wakes the loop, which made calls start about a millisecond late.
                let wait: Duration = start + interval * next - ContinuousClock.now
                if next < total && wait > Duration.zero {
                    let timer = eventLoop.scheduleTask(in: TimeAmount(wait)) {}
                    try? await timer.futureResult.get()
                }
            }
        }
        return recorder.tally.withLock { tally in
            tally.offeredRate = rate
            tally.sent = sent
            tally.dropped = dropped
            tally.seconds = (ContinuousClock.now - start).inSeconds
            return tally
        }
    }

    private func closedLoop(seconds: Double) async -> Tally {
        let recorder = Recorder()
        let start = ContinuousClock.now
        let end = start + .seconds(seconds)
        await withDiscardingTaskGroup { group in
            for _ in 0..<maxInFlight {
                group.addTask {
                    while ContinuousClock.now < end {
                        let begun = ContinuousClock.now
                        recorder.sent.add(1, ordering: .relaxed)
                        recorder.record(await call(), since: begun)
                    }
                }
            }
        }
        return recorder.tally.withLock { tally in
            tally.sent = recorder.sent.load(ordering: .relaxed)
            tally.seconds = (ContinuousClock.now - start).inSeconds
            return tally
        }
    }
}

extension Duration {
    var micros: UInt64 {
        let (seconds, attoseconds) = components
        return seconds < 0 ? 0 : UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000)
    }

    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

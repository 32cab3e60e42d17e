import Histogram
import Synchronization

/// Calls, errors and latency of one version since the last reset, recorded from any thread.
///
/// The canary analysis reads a snapshot per step and resets at step boundaries, so these are
/// per-step numbers; lifetime totals belong to the metrics system.
public final class VersionStats: Sendable {
    private struct State {
        var calls = 0
        var errors = 0
        var latency = VersionStats.emptyHistogram()
    }

    /// Latencies above this are recorded as this (an hour, far past any deadline).
    public static let highestTrackableLatency: Duration = .seconds(3600)

    private let state = Mutex(State())

    public init() {}

    /// Records one finished call.
    public func record(latency: Duration, failed: Bool) {
        let micros = UInt64(
            clamping: max(
                1,
                min(
                    latency.totalNanoseconds / 1000,
                    VersionStats.highestTrackableLatency.totalNanoseconds / 1000)))
        state.withLock { state in
            state.calls += 1
            if failed { state.errors += 1 }
            _ = state.latency.record(micros)
        }
    }

    /// The numbers so far.
    public func snapshot() -> VersionStatsSnapshot {
        state.withLock { Self.snapshot(of: $0) }
    }

    /// Forgets everything recorded.
    public func reset() {
        state.withLock { $0 = State() }
    }

    /// The numbers so far, then forgets them, as one step so that no call falls between the two.
    public func snapshotAndReset() -> VersionStatsSnapshot {
        state.withLock { state in
            defer { state = State() }
            return Self.snapshot(of: state)
        }
    }

    /// The numbers so far in a form other gateways' numbers can be merged with.
    public func window() -> StatsWindow {
        state.withLock { state in
            var buckets = state.latency.recordedValues().map { [$0.value, $0.count] }
            // The end buckets carry the exact extremes (same buckets), so that percentiles, which
            // are capped by them, come out the same after merging.
            if buckets.count == 1, buckets[0][1] > 1 {
                buckets = [[state.latency.min, buckets[0][1] - 1], [state.latency.maxRecorded, 1]]
            } else if !buckets.isEmpty {
                buckets[0][0] = state.latency.min
                buckets[buckets.count - 1][0] = state.latency.maxRecorded
            }
            return StatsWindow(calls: state.calls, errors: state.errors, latency: buckets)
        }
    }

    private static func snapshot(of state: State) -> VersionStatsSnapshot {
        snapshot(calls: state.calls, errors: state.errors, latency: state.latency)
    }

    static func snapshot(calls: Int, errors: Int, latency: Histogram<UInt64>) -> VersionStatsSnapshot {
        let empty = calls == 0
        func percentile(_ value: Double) -> Duration {
            empty ? .zero : .microseconds(Int64(clamping: latency.valueAtPercentile(value)))
        }
        return VersionStatsSnapshot(
            calls: calls, errors: errors, p50: percentile(50), p99: percentile(99),
            max: empty ? .zero : .microseconds(Int64(clamping: latency.max)))
    }

    static func emptyHistogram() -> Histogram<UInt64> {
        Histogram(
            lowestDiscernibleValue: 1,
            highestTrackableValue: UInt64(highestTrackableLatency.totalNanoseconds / 1000),
            numberOfSignificantValueDigits: .three)
    }
}

/// A version's measurements at one moment; built directly in tests and by the state file.
public struct VersionStatsSnapshot: Sendable, Hashable {
    public var calls: Int
    public var errors: Int
    /// Median latency (zero without calls).
    public var p50: Duration
    /// 99th percentile latency (zero without calls).
    public var p99: Duration
    public var max: Duration

    public init(calls: Int, errors: Int, p50: Duration = .zero, p99: Duration = .zero, max: Duration = .zero) {
        self.calls = calls
        self.errors = errors
        self.p50 = p50
        self.p99 = p99
        self.max = max
    }

    /// Failed calls / calls; 0 without calls.
    public var errorRate: Double {
        calls == 0 ? 0 : Double(errors) / Double(calls)
    }
}

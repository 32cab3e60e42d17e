import Histogram

/// One version's calls, errors and latency distribution as one gateway saw them, in a form that
/// adds up: the canary leader merges every gateway's windows and judges the sum as if one
/// gateway had carried all the calls.
public struct StatsWindow: Sendable, Codable, Equatable {
    public var calls: Int
    public var errors: Int
    /// The latency histogram's non-empty buckets as `[microseconds, count]` pairs.
    public var latency: [[UInt64]]

    public init(calls: Int = 0, errors: Int = 0, latency: [[UInt64]] = []) {
        self.calls = calls
        self.errors = errors
        self.latency = latency
    }

    /// The measurements of all `windows` together: counts add up, percentiles come from the
    /// merged histogram. Malformed buckets (not a pair) are skipped.
    public static func merged(_ windows: [StatsWindow]) -> VersionStatsSnapshot {
        var histogram = VersionStats.emptyHistogram()
        var calls = 0
        var errors = 0
        for window in windows {
            calls += max(0, window.calls)
            errors += max(0, window.errors)
            for bucket in window.latency where bucket.count == 2 && bucket[1] > 0 {
                _ = histogram.record(max(1, min(bucket[0], histogram.highestTrackableValue)), count: bucket[1])
            }
        }
        return VersionStats.snapshot(calls: calls, errors: errors, latency: histogram)
    }
}

import Foundation
import RPCCore

/// The figures a run prints, as text or as one JSON object (keys are what bench scripts read).
struct Summary: Encodable {
    var target: String
    var model: String
    var rows: Int
    var mode: String
    var connections: Int
    var maxInFlight: Int
    var offeredRps: Double?
    var achievedRps: Double
    var seconds: Double
    var sent: Int
    var ok: Int
    var failed: Int
    var failedByStatus: [String: Int]
    var dropped: Int
    var p50Ms: Double
    var p90Ms: Double
    var p99Ms: Double
    var p999Ms: Double
    var maxMs: Double
    /// Open loop: how late the client itself started calls (p50, p99), to tell its limit apart.
    var startLagP50Ms: Double?
    var startLagP99Ms: Double?

    init(options: LoadClient, tally: Tally) {
        let ms = { (percentile: Double) in
            tally.latency.totalCount == 0 ? 0 : Double(tally.latency.valueAtPercentile(percentile)) / 1000
        }
        target = options.target
        model = options.model
        rows = options.rows
        mode = options.rate > 0 ? "open" : "closed"
        connections = options.connections
        maxInFlight = options.maxInFlight ?? (options.rate > 0 ? 1024 : 64)
        offeredRps = options.rate > 0 ? options.rate : nil
        // Answers per second over the phase, draining included: OK answers only.
        achievedRps = tally.seconds > 0 ? Double(tally.ok) / tally.seconds : 0
        seconds = tally.seconds
        sent = tally.sent
        ok = tally.ok
        failed = tally.failed.values.reduce(0, +)
        failedByStatus = Dictionary(uniqueKeysWithValues: tally.failed.map { ($0.key.description, $0.value) })
        dropped = tally.dropped
        p50Ms = ms(50)
        p90Ms = ms(90)
        p99Ms = ms(99)
        p999Ms = ms(99.9)
        maxMs = tally.latency.totalCount == 0 ? 0 : Double(tally.latency.max) / 1000
        if options.rate > 0, tally.startLag.totalCount > 0 {
            startLagP50Ms = Double(tally.startLag.valueAtPercentile(50)) / 1000
            startLagP99Ms = Double(tally.startLag.valueAtPercentile(99)) / 1000
        }
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    func text() -> String {
        let f = { (value: Double, digits: Int) in String(format: "%.\(digits)f", value) }
        let failures = failedByStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let offered = offeredRps.map { "offered \(f($0, 0)) req/s" } ?? "closed loop"
        let lag = startLagP50Ms.map { "   client start lag ms p50 \(f($0, 3)) p99 \(f(startLagP99Ms ?? 0, 3))" } ?? ""
        return """
            \(target) model \(model), \(rows) row(s), \(connections) connection(s), at most \(maxInFlight) in flight, \(f(seconds, 1)) s
            \(offered)   sent \(sent)   dropped \(dropped)\(lag)
            achieved \(f(achievedRps, 0)) req/s   ok \(ok)   failed \(failed)\(failures.isEmpty ? "" : " (\(failures))")
            latency ms   p50 \(f(p50Ms, 3))   p90 \(f(p90Ms, 3))   p99 \(f(p99Ms, 3))   p99.9 \(f(p999Ms, 3))   max \(f(maxMs, 3))
            """
    }
}

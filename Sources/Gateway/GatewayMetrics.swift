import Metrics
import RPCCore
import Routing
import Synchronization

/// The gateway's Prometheus metrics (through swift-metrics; the process chooses the backend).
/// Metric objects are cached by label set, so a call costs dictionary lookups, not allocations.
public final class GatewayMetrics: Sendable {
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])
    /// The per-call instruments by model, version and status, looked up without building strings.
    private let callInstruments = Mutex<[CallKey: (calls: Counter, duration: Metrics.Timer)]>([:])

    private struct CallKey: Hashable {
        var model: String
        var version: String
        var code: StatusCode
    }

    public init() {}

    /// One routed call finished.
    public func call(model: String, version: String, code: StatusCode, duration: Duration, retries: Int) {
        let key = CallKey(model: model, version: version, code: code)
        let instruments = callInstruments.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = (
                calls: counter("gateway_calls_total", ["model": model, "version": version, "code": code.description]),
                duration: timer("gateway_call_duration_seconds", ["model": model, "version": version])
            )
            cache[key] = made
            return made
        }
        instruments.calls.increment()
        instruments.duration.recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        if retries > 0 { counter("gateway_retries_total", ["model": model]).increment(by: retries) }
    }

    public func fallback(model: String, from version: String) {
        counter("gateway_fallbacks_total", ["model": model, "version": version]).increment()
    }

    public func shadowSkipped(model: String) {
        counter("gateway_shadow_skipped_total", ["model": model]).increment()
    }

    public func canaryTransition(model: String, phase: String) {
        counter("gateway_canary_transitions_total", ["model": model, "phase": phase]).increment()
    }

    /// Current canary weight and phase (1 for the phase it is in, 0 for the others).
    public func canary(model: String, weight: Int, phase: String) {
        gauge("gateway_canary_weight_percent", ["model": model]).record(weight)
        for name in ["progressing", "paused", "promoted", "rolled_back", "aborted"] {
            gauge("gateway_canary_phase", ["model": model, "phase": name]).record(name == phase ? 1 : 0)
        }
    }

    public func hint(model: String, version: String, hint: ConcurrencyAutoscaler.Hint, readyReplicas: Int) {
        let labels = ["model": model, "version": version]
        gauge("gateway_desired_replicas", labels).record(hint.desiredReplicas)
        gauge("gateway_ready_replicas", labels).record(readyReplicas)
        gauge("gateway_concurrency", labels.merging(["window": "stable"]) { $1 }).record(hint.stableConcurrency)
        gauge("gateway_concurrency", labels.merging(["window": "panic"]) { $1 }).record(hint.panicConcurrency)
        gauge("gateway_autoscaler_panic", labels).record(hint.inPanic ? 1 : 0)
    }

    public func endpoint(model: String, version: String, endpoint: String, ejected: Bool, ready: Bool, outstanding: Int) {
        let labels = ["model": model, "version": version, "endpoint": endpoint]
        gauge("gateway_endpoint_ejected", labels).record(ejected ? 1 : 0)
        gauge("gateway_endpoint_ready", labels).record(ready ? 1 : 0)
        gauge("gateway_endpoint_outstanding", labels).record(outstanding)
    }

    /// A call went to a replica chosen by panic routing.
    public func panicRouted(model: String, version: String) {
        counter("gateway_panic_routed_calls_total", ["model": model, "version": version]).increment()
    }

    public func ejection(model: String, version: String, endpoint: String) {
        counter("gateway_ejections_total", ["model": model, "version": version, "endpoint": endpoint]).increment()
    }

    /// Whether this replica leads the shared rollouts and reaches etcd (1 or 0 each).
    public func coordination(leader: Bool, connected: Bool) {
        gauge("gateway_coordination_leader", [:]).record(leader ? 1 : 0)
        gauge("gateway_coordination_connected", [:]).record(connected ? 1 : 0)
    }

    /// Time from a shared rollout write (the writer's clock) to this replica applying it.
    public func coordinationApplyLag(_ lag: Duration) {
        timer("gateway_coordination_apply_lag_seconds", [:]).recordNanoseconds(max(0, Int64(lag.secondsValue * 1e9)))
    }

    /// A write to the shared state was refused: the key had changed or leadership was lost.
    public func coordinationWriteRefused(kind: String) {
        counter("gateway_coordination_refused_writes_total", ["kind": kind]).increment()
    }

    private static func key(_ name: String, _ labels: [String: String]) -> String {
        name + labels.sorted { $0.key < $1.key }.map { "|\($0.key)=\($0.value)" }.joined()
    }

    private static func dimensions(_ labels: [String: String]) -> [(String, String)] {
        labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func counter(_ name: String, _ labels: [String: String]) -> Counter {
        counters.withLock { cache in
            let key = Self.key(name, labels)
            if let existing = cache[key] { return existing }
            let made = Counter(label: name, dimensions: Self.dimensions(labels))
            cache[key] = made
            return made
        }
    }

    private func timer(_ name: String, _ labels: [String: String]) -> Metrics.Timer {
        timers.withLock { cache in
            let key = Self.key(name, labels)
            if let existing = cache[key] { return existing }
            let made = Metrics.Timer(label: name, dimensions: Self.dimensions(labels), preferredDisplayUnit: .seconds)
            cache[key] = made
            return made
        }
    }

    private func gauge(_ name: String, _ labels: [String: String]) -> Gauge {
        gauges.withLock { cache in
            let key = Self.key(name, labels)
            if let existing = cache[key] { return existing }
            let made = Gauge(label: name, dimensions: Self.dimensions(labels))
            cache[key] = made
            return made
        }
    }
}

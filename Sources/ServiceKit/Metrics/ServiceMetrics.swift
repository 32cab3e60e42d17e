public import CoreMetrics
public import Prometheus
import Synchronization

/// A process's metrics: swift-metrics handles backed by one swift-prometheus registry, plus
/// collectors that refresh sampled values (memory, connections) just before each scrape.
///
/// Use `ServiceMetrics.bootstrap()` once in an executable: it also installs the registry as
/// swift-metrics' backend, so `Counter(label:)` anywhere in the process lands in the same
/// `/metrics`. Tests make their own instance with `init()` and never touch the global backend.
///
/// The `counter`/`gauge`/`timer`/`histogram` makers register a family's `# HELP` text and
/// return a swift-metrics handle; each call with the same name and labels returns a handle to
/// the same series, but a lookup takes a lock, so callers on hot paths make their handles once.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory
    private let collectors = Mutex<[@Sendable () -> Void]>([])

    /// Latency buckets from 50µs to 10s: sub-millisecond answers get their own buckets.
    public static let latencyBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// A fresh registry, not installed anywhere (for tests, or a second registry).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
    }

    private static let installed = Mutex<ServiceMetrics?>(nil)

    /// The process's instance, installed as swift-metrics' backend on the first call; later
    /// calls return the same one (swift-metrics can be bootstrapped once per process).
    public static func bootstrap() -> ServiceMetrics {
        installed.withLock { installed in
            if let installed { return installed }
            let metrics = ServiceMetrics()
            MetricsSystem.bootstrap(metrics.factory)
            installed = metrics
            return metrics
        }
    }

    /// A monotonically increasing count; `name` should end in `_total`.
    public func counter(_ name: String, help: String, labels: [(String, String)] = []) -> CoreMetrics.Counter {
        let handler = registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
        return CoreMetrics.Counter(label: name, dimensions: labels, handler: handler, factory: factory)
    }

    /// A value that goes up and down (a Prometheus gauge).
    public func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> CoreMetrics.Meter {
        let handler = registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
        return CoreMetrics.Meter(label: name, dimensions: labels, handler: handler, factory: factory)
    }

    /// A histogram of durations, exposed in seconds; `name` should end in `_seconds`.
    public func timer(
        _ name: String, help: String, labels: [(String, String)] = [], buckets: [Duration] = ServiceMetrics.latencyBuckets
    ) -> CoreMetrics.Timer {
        let handler = registry.makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
        return CoreMetrics.Timer(label: name, dimensions: labels, handler: handler, factory: factory)
    }

    /// A histogram of plain values (sizes, counts) with the given upper bounds.
    public func histogram(
        _ name: String, help: String, labels: [(String, String)] = [], buckets: [Double]
    ) -> CoreMetrics.Recorder {
        let handler = registry.makeValueHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
        return CoreMetrics.Recorder(label: name, dimensions: labels, aggregate: true, handler: handler, factory: factory)
    }

    /// Runs `collect` before every exposition, to sample values that are not counted as they
    /// change (resident memory, open connections).
    public func addCollector(_ collect: @escaping @Sendable () -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// The Prometheus text exposition of every metric, after running the collectors.
    public func exposition() -> [UInt8] {
        for collect in collectors.withLock({ $0 }) { collect() }
        return registry.emitToBuffer()
    }

    /// The content type of `exposition()`.
    public static let expositionContentType = "text/plain; version=0.0.4; charset=utf-8"

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}

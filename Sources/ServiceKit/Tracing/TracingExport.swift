import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry span export (swift-otel, OTLP/HTTP with protobuf bodies), started when
/// `--otlp-endpoint` is set: bootstraps the process's tracer, runs the exporter in the background
/// and flushes what is queued at shutdown. The `OTEL_*` environment variables the OpenTelemetry
/// specification defines (e.g. `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_EXPORTER_OTLP_HEADERS`) apply.
public final class TracingExport: Sendable {
    private let group: ServiceGroup
    private let running: Task<Void, Never>
    /// A server span per call; `ServiceRuntime` puts it in every server's interceptors.
    let interceptor = CallTracing()

    private init(group: ServiceGroup, running: Task<Void, Never>) {
        self.group = group
        self.running = running
    }

    /// Nil when no endpoint is configured: then no tracer is bootstrapped and calls get no spans.
    public static func start(_ options: TracingOptions, service: String, logger: Logger) throws -> TracingExport? {
        guard let endpoint = options.otlpEndpoint else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = service
        configuration.propagators = [.traceContext]
        configuration.traces.exporter = .otlp
        // The flag is the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is; the
        // traces-specific setting is used as given, so the signal's path is added here.
        configuration.traces.otlpExporter.endpoint = Self.tracesURL(base: endpoint)
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.sampler = .parentBasedTraceIDRatio(ratio: options.traceSampleRatio) ?? .parentBasedAlwaysOn
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: backend.service)], gracefulShutdownSignals: [], logger: logger))
        let running = Task {
            do {
                try await group.run()
            } catch {
                logger.error("span export stopped", metadata: ["error": "\(error)"])
            }
        }
        logger.info("exporting spans", metadata: ["otlp-endpoint": "\(endpoint)"])
        return TracingExport(group: group, running: running)
    }

    /// `BASE/v1/traces`, unless the URL already names that path.
    static func tracesURL(base: String) -> String {
        if base.hasSuffix("/v1/traces") { return base }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
    }

    /// Sends the spans still queued and stops the exporter.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
        await running.value
    }
}

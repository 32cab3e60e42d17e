import Logging
import RPCCore
import UnixSignals

/// Everything a service executable runs besides its own gRPC services: logging, metrics, the
/// ops HTTP port and its readiness, and the signal-driven lifecycle.
///
/// ```swift
/// let runtime = try await ServiceRuntime.start(operations, service: "gateway")
/// let server = RPCServer(
///     configuration: ..., services: runtime.instrument([...], adding: [auth]),
///     refusedCall: runtime.refusedCallRecorder)
/// try await server.start()
/// runtime.observeOpenConnections { server.connectionCount }
/// runtime.readiness.setCheck { routes.isValid ? .ready : .notReady("no valid routes") }
/// announceListening(host: address.host, port: server.localPort!)
/// runtime.announceMetricsListening()
/// await runtime.run(reload: { try? await routes.reload() }) { grace in
///     health.setAll(.notServing)
///     await server.shutdownGracefully(grace: grace)
/// }
/// ```
public final class ServiceRuntime: Sendable {
    /// The shared options it was started with.
    public let options: OperationsOptions
    /// The process's metrics, behind `/metrics`.
    public let metrics: ServiceMetrics
    /// Per-method call metrics, one of `interceptors`.
    public let rpcMetrics: RPCMetrics
    /// A log line per finished call (`--access-log`), one of `interceptors`.
    public let accessLog: AccessLog
    /// Span export when `--otlp-endpoint` is set; its span per call is one of `interceptors`.
    public let tracing: TracingExport?
    /// What every call of the process's servers runs through, outermost first: the access log
    /// (so it sees the span's trace id and every other interceptor's outcome), the span when
    /// exported, then call metrics.
    public let interceptors: [any ServerInterceptor]
    /// What `/readyz` answers; set the service's check once it is built.
    public let readiness: Readiness
    /// The HTTP/1.1 ops port.
    public let opsServer: OpsHTTPServer
    /// A logger labelled with the service's name.
    public let logger: Logger
    private let signals: UnixSignalsSequence

    private init(
        options: OperationsOptions, metrics: ServiceMetrics, readiness: Readiness, opsServer: OpsHTTPServer,
        logger: Logger, signals: UnixSignalsSequence, tracing: TracingExport?
    ) {
        self.options = options
        self.metrics = metrics
        rpcMetrics = RPCMetrics(metrics: metrics)
        accessLog = AccessLog(mode: options.logging.accessLog)
        self.tracing = tracing
        interceptors = [accessLog] + (tracing.map { [$0.interceptor] } ?? []) + [rpcMetrics]
        self.readiness = readiness
        self.opsServer = opsServer
        self.logger = logger
        self.signals = signals
    }

    /// Bootstraps logging and metrics (once per process), traps SIGTERM, SIGINT and SIGHUP (from
    /// here on they are queued for `run`, never fatal), and opens the ops port, not ready
    /// ("starting") until the service sets a readiness check.
    public static func start(_ options: OperationsOptions, service: String) async throws -> ServiceRuntime {
        try options.logging.bootstrap(service: service)
        let metrics = ServiceMetrics.bootstrap()
        ProcessMetrics.register(on: metrics)
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup)
        let readiness = Readiness(check: { .notReady("starting") })
        let opsServer = OpsHTTPServer(
            address: try options.metricsAddress(), endpoints: OpsEndpoints(metrics: metrics, readiness: readiness),
            logger: Logger(label: "\(service).ops"))
        let logger = Logger(label: service)
        do {
            try await opsServer.start()
        } catch where !ExplicitOptions.contains("metrics-listen") {
            // Several services on one machine all default to the same port: the one that finds
            // it taken serves on without an ops port rather than not at all. An address given
            // explicitly must work.
            logger.error(
                "cannot open the default metrics port; serving without /metrics, /healthz and /readyz (set --metrics-listen)",
                metadata: ["address": "\(options.metricsListen)", "error": "\(error)"])
        }
        let tracing = try TracingExport.start(options.tracing, service: service, logger: Logger(label: "\(service).tracing"))
        return ServiceRuntime(
            options: options, metrics: metrics, readiness: readiness, opsServer: opsServer, logger: logger,
            signals: signals, tracing: tracing)
    }

    /// The services with `interceptors` and then the service's own (`adding`, e.g. auth, which
    /// so runs innermost: its refusals are measured, traced and logged) composed around every
    /// method, once: give the result to the server.
    public func instrument(_ services: [any RPCService], adding own: [any ServerInterceptor] = []) -> [any RPCService] {
        InterceptorChain(interceptors + own).apply(to: services)
    }

    /// Counts calls the transport answers without a handler; pass it as `RPCServer(refusedCall:)`.
    public var refusedCallRecorder: @Sendable (_ method: String?, _ code: StatusCode) -> Void {
        { [rpcMetrics] method, code in rpcMetrics.recordRefused(method: method, code: code) }
    }

    /// Samples the gRPC server's open connections at each scrape.
    public func observeOpenConnections(_ count: @escaping @Sendable () -> Int) {
        rpcMetrics.observeOpenConnections(count)
    }

    /// Writes `metrics listening on HOST:PORT` to stdout; call it after `announceListening`, whose
    /// line scripts and tests read first.
    public func announceMetricsListening() {
        guard opsServer.localPort != nil else { return }
        writeToStandardOutput("metrics listening on \(opsServer.address.host):\(opsServer.localPort ?? 0)\n")
    }

    /// Serves until SIGTERM or SIGINT, then shuts down in this order: readiness goes false
    /// (`/readyz` answers 503), `shutdown` runs with the `--shutdown-grace` period (set
    /// grpc.health to NOT_SERVING there first, then drain the server: GOAWAY and in-flight
    /// calls), and finally the ops port closes. SIGHUP reloads the gRPC port's TLS files, then
    /// runs `reload`, one at a time; a SIGHUP that arrives during a reload asks for one more
    /// afterwards.
    public func run(
        reload: (@Sendable () async -> Void)? = nil,
        shutdown: @Sendable (_ grace: Duration) async -> Void
    ) async {
        let reloads = ReloadQueue(reload: { [logger] in
            ServerTLSReloads.reloadAll(logger: logger)
            await reload?()
        }, logger: logger)
        for await signal in signals {
            if signal == .sighup {
                reloads.request()
                continue
            }
            logger.info("shutting down", metadata: ["signal": "\(signal)", "grace": "\(options.shutdownGrace)s"])
            break
        }
        readiness.beginDraining()
        await reloads.stop()
        await shutdown(options.shutdownGracePeriod)
        await opsServer.stop()
        await tracing?.shutdown()
        logger.info("stopped")
    }
}

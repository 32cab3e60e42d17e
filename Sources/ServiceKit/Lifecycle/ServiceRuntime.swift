import InferenceAPI
import Logging
import NIOPosix
import RESTFront
import RPCCore
import RPCTransport
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Everything a service executable runs besides its own gRPC services: logging, metrics, the
/// ops HTTP port and its readiness, the gRPC server's bootstrap, and the signal-driven lifecycle
/// of every service under one swift-service-lifecycle `ServiceGroup`.
///
/// ```swift
/// let runtime = try await ServiceRuntime.start(operations, service: "gateway")
/// runtime.readiness.setCheck { routes.isValid ? .ready : .notReady("no valid routes") }
/// let health = ServingHealth { routes.isValid }
/// let server = try await runtime.startServer(address, services: [...], health: health, maxMessageBytes: limit)
/// await runtime.run(server: server, health: health, services: [routesPoller], reload: { try? await routes.reload() })
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
    /// The REST front over the gRPC server's methods, once `startServer` made it (`--http-listen`).
    private let rest = Mutex<(any Service)?>(nil)

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
        } catch  where !ExplicitOptions.contains("metrics-listen") {
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
    func observeOpenConnections(_ count: @escaping @Sendable () -> Int) {
        rpcMetrics.observeOpenConnections(count)
    }

    /// Writes `metrics listening on HOST:PORT` to stdout; call it after `announceListening`, whose
    /// line scripts and tests read first.
    func announceMetricsListening() {
        guard opsServer.localPort != nil else { return }
        writeToStandardOutput("metrics listening on \(opsServer.address.host):\(opsServer.localPort ?? 0)\n")
    }

    /// Builds the gRPC server (the runtime's interceptors, then `own`, around `services`, plus
    /// grpc.health answered from `health`, TLS from the shared options), starts it, and announces
    /// its port and then the metrics port on stdout. `configure` adjusts the configuration first.
    /// The REST front of `--http-listen` runs the same instrumented methods.
    public func startServer(
        _ address: ListenAddress, services: [any RPCService], adding own: [any ServerInterceptor] = [],
        health: ServingHealth, maxMessageBytes: Int,
        group: MultiThreadedEventLoopGroup? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> RPCServer {
        var configuration = ServerConfiguration(host: address.host, port: address.port)
        configuration.limits.maxReceiveMessageLength = maxMessageBytes
        configuration.tls = try options.tls.serverTLS()
        configure(&configuration)
        let instrumented = instrument(services + [HealthService(store: health.store)], adding: own)
        let server = RPCServer(
            configuration: configuration, services: instrumented, logger: logger, refusedCall: refusedCallRecorder, group: group)
        try await server.start()
        observeOpenConnections { server.connectionCount }
        announceListening(host: address.host, port: server.localPort!)
        announceMetricsListening()
        if let httpAddress = try options.httpAddress() {
            let front = RESTFront(services: instrumented, maxBodyBytes: maxMessageBytes, logger: logger)
            let application = front.application(
                host: httpAddress.host, port: httpAddress.port, tls: try options.tls.restTLS(),
                maxHeaderListSize: configuration.limits.maxHeaderListSize
            ) { port in
                writeToStandardOutput("http listening on \(httpAddress.host):\(port)\n")
            }
            rest.withLock { $0 = application }
        }
        return server
    }

    /// Runs `services` (reload loops, pollers, the gateway's canary driver...), the gRPC server
    /// and the ops port under one `ServiceGroup` until SIGTERM or SIGINT. SIGHUP reloads the gRPC
    /// port's TLS files, then runs `reload`, one at a time; a SIGHUP that arrives during a reload
    /// asks for one more afterwards.
    ///
    /// Shutdown goes in reverse order of start: readiness turns false (`/readyz` answers 503),
    /// `beforeDrain` runs, grpc.health says NOT_SERVING, the server drains (GOAWAY, in-flight
    /// calls get `--shutdown-grace`), then `services` stop, last first, and the ops port closes.
    public func run(
        server: RPCServer, health: ServingHealth, services: [any Service] = [],
        reload: (@Sendable () async -> Void)? = nil, beforeDrain: @escaping @Sendable () async -> Void = {}
    ) async {
        let serving = GRPCServerService(
            server: server, health: health, readiness: readiness, grace: options.shutdownGracePeriod, beforeDrain: beforeDrain)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [OpsHTTPService(server: opsServer)] + services + rest.withLock { $0.map { [$0] } ?? [] } + [serving],
                logger: logger))
        let reloads = ReloadQueue(
            reload: { [logger] in
                ServerTLSReloads.reloadAll(logger: logger)
                await reload?()
            }, logger: logger)
        let signals = self.signals
        let logger = self.logger
        let readiness = self.readiness
        let grace = options.shutdownGrace
        await withTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                do {
                    try await group.run()
                } catch {
                    logger.error("a service failed; stopping", metadata: ["error": "\(error)"])
                }
                return true
            }
            tasks.addTask {
                for await signal in signals {
                    if signal == .sighup {
                        reloads.request()
                        continue
                    }
                    logger.info("shutting down", metadata: ["signal": "\(signal)", "grace": "\(grace)s"])
                    break
                }
                readiness.beginDraining()
                await reloads.stop()
                await group.triggerGracefulShutdown()
                return false
            }
            // The group ending by itself (a failed service) leaves the signal loop to cancel;
            // a signal leaves the group to finish its graceful shutdown.
            if await tasks.next() == true {
                tasks.cancelAll()
            } else {
                _ = await tasks.next()
            }
        }
        await reloads.stop()
        await tracing?.shutdown()
        logger.info("stopped")
    }
}

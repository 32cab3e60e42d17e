import AdminAPI
import Foundation
import InferenceAPI
import Logging
import NIOCore
import NIOPosix
import RPCCore
import RPCTransport
import RolloutCoordination
import Routing
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Settings of a gateway (the executable fills them from flags and its config file).
public struct GatewayOptions: Sendable {
    /// The routes file; reloaded when its content changes.
    public var routesPath: String
    /// Where canary progress is persisted; nil keeps it in memory only.
    public var canaryStatePath: String?
    public var routesPollInterval: Duration = .seconds(1)
    /// How often canaries are judged, hints computed and metrics refreshed.
    public var tickInterval: Duration = .seconds(1)
    public var healthCheckInterval: Duration = .seconds(2)
    public var resolveInterval: Duration = .seconds(5)
    /// Deadline of upstream calls whose caller set none.
    public var defaultTimeout: Duration = .seconds(30)
    public var client = ClientConfiguration()
    /// The event loops upstream connections use; the executable passes its gRPC server's.
    public var clientGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    public var balancer = EndpointBalancerConfiguration.defaults
    public var retryBudget = RetryBudget.Configuration.defaults
    /// Bearer tokens callers must present (`--auth-tokens`); nil lets everyone in.
    public var tokens: AccessTokens?
    /// Shared rollout state in etcd (`--coordination`); nil keeps rollouts to this process and
    /// `canaryStatePath`.
    public var coordination: CoordinationSession.Settings?

    public init(routesPath: String, canaryStatePath: String? = "canary-state.json") {
        self.routesPath = routesPath
        self.canaryStatePath = canaryStatePath
    }
}

/// A routes file that cannot be used; the message names the file, key and reason.
public struct GatewayConfigurationError: Error, CustomStringConvertible {
    public var description: String
}

/// The gateway: routing table, forwarding service, admin service, canary driver, health probes
/// and autoscaling hints, kept current by `run()` (a swift-service-lifecycle service: its loops
/// stop at graceful shutdown, then the canary state is saved and upstream connections close).
public final class Gateway: Service, Sendable {
    public let options: GatewayOptions
    public let logger: Logger
    public let table: RoutingTable
    public let clients: UpstreamClients
    public let metrics = GatewayMetrics()
    public let service: GatewayService
    public let canary: CanaryDriver
    /// Set with `--coordination`: rollouts shared with the other gateway replicas.
    public let shared: SharedRollouts?
    let prober: HealthProber
    let resolver: AddressResolver
    private let routesText = MutexBox<String?>(nil)
    private let hints = MutexBox<[AutoscalingHint]>([])
    /// Route changes through the admin service ask for their replicas to be resolved promptly;
    /// requests made while a refresh runs collapse into one more.
    private let refreshes = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    public init(options: GatewayOptions, logger: Logger, resolver: AddressResolver = AddressResolver()) {
        self.options = options
        self.logger = logger
        self.resolver = resolver
        table = RoutingTable(balancerConfiguration: options.balancer)
        clients = UpstreamClients(configuration: options.client, group: options.clientGroup)
        let forwarder = Forwarder(clients: clients, retryBudget: RetryBudget(configuration: options.retryBudget))
        service = GatewayService(
            table: table, forwarder: forwarder, metrics: metrics, logger: logger,
            defaultTimeout: options.defaultTimeout, tokens: options.tokens)
        canary = CanaryDriver(
            table: table, statePath: options.coordination == nil ? options.canaryStatePath : nil, metrics: metrics, logger: logger
        )
        if let settings = options.coordination {
            shared = SharedRollouts(
                session: CoordinationSession(settings: settings, logger: logger), table: table, metrics: metrics, logger: logger)
        } else {
            shared = nil
        }
        prober = HealthProber(clients: clients, logger: logger)
    }

    /// The services to serve on the gRPC port.
    public var services: [any RPCService] {
        [GatewayInferenceService(service: service), GatewayAdminService(handler: GatewayAdmin(gateway: self))]
    }

    /// The gateway's own interceptors, to compose innermost around `services`: the bearer-token
    /// checks when `--auth-tokens` is set.
    public var interceptors: [any ServerInterceptor] {
        options.tokens.map { [AuthInterceptor(tokens: $0)] } ?? []
    }

    /// Reads the routes file and the saved (or shared) canary states, and resolves and probes the
    /// endpoints once, so the gateway starts ready when its replicas are, at the current weights.
    public func start() async throws {
        let text = try readRoutes()
        let config = try parse(text)
        table.apply(config, canaryStates: shared == nil ? canary.loadSavedStates() : [:])
        if let shared {
            await shared.load()
            shared.apply()
        }
        routesText.value = text
        canary.persist()
        await refreshEndpoints()
        tick()
        logger.info("routes loaded", metadata: ["file": "\(options.routesPath)", "models": "\(config.models.keys.sorted())"])
    }

    /// Keeps everything current until graceful shutdown (or cancellation), then saves the canary
    /// state and closes every upstream connection.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.every(self.options.routesPollInterval) { _ = await self.reloadRoutes() } }
            group.addTask { await self.every(self.options.tickInterval) { self.tick() } }
            group.addTask {
                await self.every(self.options.healthCheckInterval) { await self.prober.probe(self.table.endpointSets) }
            }
            group.addTask {
                await self.every(self.options.resolveInterval) { await self.refreshEndpoints() }
            }
            group.addTask {
                for await _ in self.refreshes.stream.cancelOnGracefulShutdown() { await self.refreshEndpoints() }
            }
            if let shared = self.shared {
                group.addTask { await cancelWhenGracefulShutdown { await shared.session.run() } }
                group.addTask { await cancelWhenGracefulShutdown { await shared.follow() } }
                group.addTask { await self.every(self.options.tickInterval) { await shared.tick() } }
            }
        }
        await shutdown()
    }

    /// Re-reads the routes file; a changed, valid file replaces the routes, an invalid one is
    /// reported and the running routes stay.
    @discardableResult
    public func reloadRoutes(force: Bool = false) async -> Bool {
        let text: String
        do {
            text = try readRoutes()
        } catch {
            logger.error("cannot read the routes file; keeping the running routes", metadata: ["error": "\(error)"])
            return false
        }
        guard force || text != routesText.value else { return false }
        routesText.value = text
        do {
            let config = try parse(text)
            table.apply(config)
            canary.persist()
            shared?.reapply()
            await refreshEndpoints()
            logger.notice("routes reloaded", metadata: ["models": "\(config.models.keys.sorted())"])
            return true
        } catch {
            logger.error("routes file rejected; keeping the running routes", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Asks `run()` to resolve and probe endpoints soon (after a route change).
    func refreshSoon() { refreshes.continuation.yield() }

    /// The hints computed on the last tick.
    public func latestHints() -> [AutoscalingHint] { hints.value }

    /// Judges canaries, computes hints, updates endpoint metrics.
    public func tick() {
        if shared == nil { canary.evaluate() }
        var computed: [AutoscalingHint] = []
        for model in table.models.values.sorted(by: { $0.name < $1.name }) {
            for version in model.route.versionOrder {
                guard let runtime = model.versions[version] else { continue }
                let ready = runtime.endpoints.usableCount
                var hint = runtime.autoscaler.hint(readyReplicas: ready)
                var clusterHint = hint
                // With shared state every replica exports the leader's decision from all replicas'
                // calls; the concurrency metrics stay this replica's own (they add up across pods).
                if let cluster = shared?.clusterHint(model: model.name, version: version) {
                    hint.desiredReplicas = cluster.desiredReplicas
                    hint.inPanic = cluster.inPanic
                    clusterHint = .init(
                        stableConcurrency: cluster.stableConcurrency, panicConcurrency: cluster.panicConcurrency,
                        desiredReplicas: cluster.desiredReplicas, inPanic: cluster.inPanic)
                }
                metrics.hint(model: model.name, version: version, hint: hint, readyReplicas: ready)
                let target = model.route.autoscalingPolicy.targetConcurrency
                computed.append(
                    AutoscalingHint(
                        model: model.name, version: version, stableConcurrency: clusterHint.stableConcurrency,
                        panicConcurrency: clusterHint.panicConcurrency, desiredReplicas: Int32(clusterHint.desiredReplicas),
                        readyReplicas: Int32(ready), panic: clusterHint.inPanic, targetConcurrency: target))
                report(runtime.endpoints, model: model.name, version: version)
            }
            if let pipeline = model.pipeline { report(pipeline, model: model.name, version: "pipeline") }
        }
        hints.value = computed
    }

    /// Exports a set's replica states and logs and counts each change of standing since the last tick.
    private func report(_ set: EndpointSet, model: String, version: String) {
        for status in set.balancer.statuses() {
            metrics.endpoint(
                model: model, version: version, endpoint: status.endpoint.description,
                ejected: status.ejectedFor != nil, ready: status.ready, outstanding: status.outstanding)
        }
        for transition in set.balancer.takeTransitions() {
            var metadata: Logger.Metadata = ["model": "\(model)", "version": "\(version)"]
            if let replica = transition.endpoint { metadata["replica"] = "\(replica)" }
            switch transition.kind {
            case .ejected:
                metrics.ejection(model: model, version: version, endpoint: transition.endpoint?.description ?? "")
                logger.warning("replica ejected after consecutive failures", metadata: metadata)
            case .ejectionCapped:
                logger.warning("replica keeps failing but stays in: the ejection cap is reached", metadata: metadata)
            case .ejectionEnded: logger.info("replica back after its ejection time", metadata: metadata)
            case .unreachable:
                logger.info("replica unreachable or draining; out until a health check sees it serve", metadata: metadata)
            case .notServing: logger.info("replica not serving", metadata: metadata)
            case .serving: logger.info("replica serving", metadata: metadata)
            case .panicStarted:
                logger.warning("no usable replica; panic routing to ejected or not-ready replicas", metadata: metadata)
            case .panicEnded: logger.info("a replica is usable again; panic routing over", metadata: metadata)
            }
        }
    }

    /// Resolves DNS endpoints, probes every replica, and closes clients no route uses.
    func refreshEndpoints() async {
        let sets = table.endpointSets
        for set in sets { await set.refresh(using: resolver, logger: logger) }
        await prober.probe(sets)
        await clients.retain(only: Set(sets.flatMap(\.upstreams)))
    }

    /// Closes every upstream connection.
    public func shutdown() async {
        canary.persist()
        if let shared {
            await shared.session.resign()
            await shared.session.client.close()
        }
        await clients.closeAll()
    }

    private func readRoutes() throws -> String {
        do {
            return try String(contentsOfFile: options.routesPath, encoding: .utf8)
        } catch {
            throw GatewayConfigurationError(
                description: "cannot read routes file \(options.routesPath): \(error.localizedDescription)")
        }
    }

    private func parse(_ text: String) throws -> RoutesConfig {
        do {
            return try RoutesConfig(yaml: text, file: options.routesPath)
        } catch {
            throw GatewayConfigurationError(description: error.description)
        }
    }

    /// Runs `body` every `interval` until graceful shutdown; a running body finishes first.
    private func every(_ interval: Duration, _ body: @escaping @Sendable () async -> Void) async {
        try? await PeriodicService(every: interval, body).run()
    }
}

/// `inference.GRPCInferenceService` for the gateway: the standard method table, except that
/// ModelInfer works on the serialized message (see `GatewayService.modelInfer(_:context:)`).
struct GatewayInferenceService: RPCService {
    let service: GatewayService

    var methods: [MethodHandler] {
        let service = self.service
        let standard = InferenceService(handler: service).methods.filter { $0.path != InferenceMethods.modelInfer }
        return standard + [
            MethodHandler(path: InferenceMethods.modelInfer, kind: .unary) { bytes, context, _ in
                try await service.modelInfer(bytes, context: context)
            }
        ]
    }
}

import ArgumentParser
import Gateway
import InferenceAPI
import Logging
import NIOPosix
import RPCTransport
import RolloutCoordination
import ServiceKit

/// The entry point other services call: routes each ModelInfer to a model version and replica,
/// runs canary rollouts, and publishes autoscaling hints.
@main
struct GatewayCommand: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Route KServe V2 / Triton gRPC inference calls to model versions, with canary rollouts.",
        discussion: """
            The routes file (YAML) names each model's versions and their endpoints (host:port, or \
            dns:///name:port re-resolved periodically), an optional preprocessing pipeline, and either \
            fixed traffic weights or a canary policy. It is reloaded when it changes; an invalid file \
            is reported and the running routes stay. Canary progress is saved to --canary-state and \
            restored on restart. The admin service (inferencemesh.admin.v1.GatewayAdmin, driven by \
            infer-cli) and grpc.health.v1 share the gRPC port. SIGHUP re-reads the routes file at once. \
            SIGTERM or SIGINT: /readyz and grpc.health turn not ready, in-flight calls get --shutdown-grace \
            seconds to finish, then the process exits 0. /readyz is 200 while every routed model has a \
            ready replica.
            """)

    @Option(help: "gRPC listen address, HOST:PORT (port 0 picks a free one).")
    var listen = "0.0.0.0:8001"

    @Option(help: ArgumentHelp("The routes file (YAML).", valueName: "file"))
    var routes: String

    @Option(help: ArgumentHelp("Where canary progress is saved (JSON); empty keeps it in memory only.", valueName: "file"))
    var canaryState = "canary-state.json"

    @Option(
        help: ArgumentHelp(
            "YAML file of accepted bearer tokens (SHA-256 digests, per-token model allow-lists, admin rights); none: no auth.",
            valueName: "file"))
    var authTokens: String?

    @Option(help: "Largest request message in bytes.")
    var maxMessageBytes = 4 * 1024 * 1024

    @Option(help: "Milliseconds upstream calls may take when the caller sets no deadline.")
    var defaultTimeoutMs = 30_000

    @Option(help: "Milliseconds between health checks of every replica.")
    var healthCheckIntervalMs = 2000

    @Option(help: "Milliseconds between re-resolutions of dns:/// endpoints.")
    var resolveIntervalMs = 5000

    @Option(help: "Milliseconds between checks of the routes file for changes.")
    var routesPollIntervalMs = 1000

    @Option(help: "Consecutive failed calls that eject a replica for a while.")
    var ejectAfterFailures = 5

    @Option(
        help: ArgumentHelp(
            "Largest share of a version's replicas ejected at once, in percent; one replica always stays in.",
            valueName: "percent"))
    var maxEjectionPercent = 50.0

    @Option(
        help: ArgumentHelp(
            "Share canary rollouts with the other gateway replicas through etcd: one leader judges all replicas' calls,"
                + " every replica follows. Without it, progress is saved to --canary-state.",
            valueName: "etcd://HOST:PORT[,HOST:PORT...]/PREFIX"))
    var coordination: String?

    @Option(help: ArgumentHelp("Seconds a dead rollout leader keeps the role (its etcd lease).", valueName: "seconds"))
    var coordinationTtl = 5

    @Option(help: ArgumentHelp("CA certificates (PEM) to trust for etcd over TLS.", valueName: "file"))
    var etcdCa: String?

    @Option(help: ArgumentHelp("Client certificate (PEM) for etcd (mutual TLS), with --etcd-key.", valueName: "file"))
    var etcdCert: String?

    @Option(help: ArgumentHelp("Private key (PEM) of --etcd-cert.", valueName: "file"))
    var etcdKey: String?

    @Option(help: ArgumentHelp("etcd user, with --etcd-password-file.", valueName: "name"))
    var etcdUser: String?

    @Option(help: ArgumentHelp("File holding the etcd user's password.", valueName: "file"))
    var etcdPasswordFile: String?

    @OptionGroup var upstreamTLS: UpstreamTLSOptions

    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        _ = try ListenAddress(parsing: listen)
        for (name, value) in [
            ("--max-message-bytes", maxMessageBytes), ("--default-timeout-ms", defaultTimeoutMs),
            ("--health-check-interval-ms", healthCheckIntervalMs), ("--resolve-interval-ms", resolveIntervalMs),
            ("--routes-poll-interval-ms", routesPollIntervalMs), ("--eject-after-failures", ejectAfterFailures),
        ]
        where value <= 0 {
            throw ValidationError("\(name) must be positive")
        }
        guard (0...100).contains(maxEjectionPercent) else {
            throw ValidationError("--max-ejection-percent must be between 0 and 100")
        }
    }

    func run() async throws {
        let runtime = try await ServiceRuntime.start(operations, service: "gateway")
        let logger = runtime.logger
        let address = try ListenAddress(parsing: listen)

        var options = GatewayOptions(routesPath: routes, canaryStatePath: canaryState.isEmpty ? nil : canaryState)
        options.defaultTimeout = .milliseconds(defaultTimeoutMs)
        options.healthCheckInterval = .milliseconds(healthCheckIntervalMs)
        options.resolveInterval = .milliseconds(resolveIntervalMs)
        options.routesPollInterval = .milliseconds(routesPollIntervalMs)
        options.balancer.consecutiveFailuresToEject = ejectAfterFailures
        options.balancer.maxEjectionPercent = maxEjectionPercent
        options.client.maxReceiveMessageLength = maxMessageBytes
        options.client.tls = try upstreamTLS.clientTLS()
        // The gRPC server and the upstream clients share event loops, with one connection per
        // loop to each replica: a call is forwarded and answered on the thread that received it.
        let threads = max(1, ServerConfiguration(host: address.host, port: address.port).threads)
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        options.clientGroup = loops
        options.client.connections = threads
        if let authTokens {
            do {
                options.tokens = try AccessTokens.load(path: authTokens)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let coordination {
            do {
                options.coordination = try .fromFlags(
                    coordination: coordination, leaseTTL: coordinationTtl, ca: etcdCa, certificate: etcdCert, key: etcdKey,
                    user: etcdUser, passwordFile: etcdPasswordFile)
            } catch {
                throw ValidationError(error.description)
            }
        }
        let gateway = Gateway(options: options, logger: logger)
        do {
            try await gateway.start()
        } catch {
            throw ValidationError("\(error)")
        }
        runtime.readiness.setCheck {
            gateway.service.isReady ? .ready : .notReady("a routed model has no ready replica")
        }
        let health = ServingHealth { gateway.service.isReady }
        let server = try await runtime.startServer(
            address, services: gateway.services, adding: gateway.interceptors, health: health, maxMessageBytes: maxMessageBytes,
            group: loops)
        await runtime.run(
            server: server, health: health,
            services: [gateway, PeriodicService(every: .milliseconds(500)) { health.update() }],
            reload: { await gateway.reloadRoutes(force: true) },
            beforeDrain: { gateway.service.beginDraining() })
        try? await loops.shutdownGracefully()
    }
}

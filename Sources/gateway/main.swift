import ArgumentParser
import Gateway
import InferenceAPI
import Logging
import RPCTransport
import ServiceKit

/// The entry point other services call: routes each ModelInfer to a model version and replica,
/// runs canary rollouts, and publishes autoscaling hints.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Route KServe V2 / Triton gRPC inference calls to model versions, with canary rollouts.",
        discussion: """
            The routes file (YAML) names each model's versions and their endpoints (host:port, or \
            dns:///name:port re-resolved periodically), an optional preprocessing pipeline, and either \
            fixed traffic weights or a canary policy. It is reloaded when it changes; an invalid file \
            is reported and the running routes stay. Canary progress is saved to --canary-state and \
            restored on restart. The admin service (inferencemesh.admin.v1.GatewayAdmin, driven by \
            infer-cli) and grpc.health.v1 share the gRPC port.
            """)

    @Option(help: "gRPC listen address, HOST:PORT (port 0 picks a free one).")
    var listen = "0.0.0.0:8001"

    @Option(help: ArgumentHelp("The routes file (YAML).", valueName: "file"))
    var routes: String

    @Option(help: ArgumentHelp("Where canary progress is saved (JSON); empty keeps it in memory only.", valueName: "file"))
    var canaryState = "canary-state.json"

    @Option(help: ArgumentHelp(
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

    @Option(help: "Seconds in-flight calls get to finish after SIGTERM.")
    var shutdownGrace = 10

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        _ = try ListenAddress(parsing: listen)
        _ = try logging.level()
        for (name, value) in [("--max-message-bytes", maxMessageBytes), ("--default-timeout-ms", defaultTimeoutMs),
                              ("--health-check-interval-ms", healthCheckIntervalMs), ("--resolve-interval-ms", resolveIntervalMs),
                              ("--routes-poll-interval-ms", routesPollIntervalMs), ("--eject-after-failures", ejectAfterFailures)]
        where value <= 0 {
            throw ValidationError("\(name) must be positive")
        }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must not be negative") }
    }

    func run() async throws {
        try logging.bootstrap()
        let logger = Logger(label: "gateway")
        let address = try ListenAddress(parsing: listen)

        var options = GatewayOptions(routesPath: routes, canaryStatePath: canaryState.isEmpty ? nil : canaryState)
        options.defaultTimeout = .milliseconds(defaultTimeoutMs)
        options.healthCheckInterval = .milliseconds(healthCheckIntervalMs)
        options.resolveInterval = .milliseconds(resolveIntervalMs)
        options.routesPollInterval = .milliseconds(routesPollIntervalMs)
        options.balancer.consecutiveFailuresToEject = ejectAfterFailures
        options.client.maxReceiveMessageLength = maxMessageBytes
        if let authTokens {
            do {
                options.tokens = try AccessTokens.load(path: authTokens)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let gateway = Gateway(options: options, logger: logger)
        do {
            try await gateway.start()
        } catch {
            throw ValidationError("\(error)")
        }

        let health = HealthStatusStore(overall: gateway.service.isReady ? .serving : .notServing)
        var configuration = ServerConfiguration(host: address.host, port: address.port)
        configuration.limits.maxReceiveMessageLength = maxMessageBytes
        let server = RPCServer(
            configuration: configuration, services: gateway.services + [HealthService(store: health)], logger: logger)
        try await server.start()
        announceListening(host: address.host, port: server.localPort!)

        let background = Task { await gateway.run() }
        let readiness = Task {
            while !Task.isCancelled {
                let status: HealthStatusStore.Status = gateway.service.isReady ? .serving : .notServing
                health.set(service: "", status: status)
                health.set(service: "inference.GRPCInferenceService", status: status)
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        await waitForTermination()
        logger.info("draining", metadata: ["grace": "\(shutdownGrace)s"])
        gateway.service.beginDraining()
        readiness.cancel()
        health.setAll(.notServing)
        await server.shutdownGracefully(grace: .seconds(shutdownGrace))
        background.cancel()
        await background.value
        await gateway.shutdown()
    }
}

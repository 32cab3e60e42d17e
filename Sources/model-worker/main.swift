import ArgumentParser
import InferenceAPI
import Logging
import ModelRepository
import ModelWorker
import RPCTransport
import ServiceKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves every model of a model repository over the Open Inference Protocol (gRPC), with
/// grpc.health.v1, dynamic batching and hot reload of new versions.
@main
struct ModelWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-worker",
        abstract: "Serve the ONNX models of a model repository over KServe V2 / Triton gRPC.",
        discussion: """
            Layout: DIR/<model>/<version>/model.onnx (versions are positive integers), with an optional
            DIR/<model>/config.yaml (version_policy, max_batch_size, dynamic_batching, inputs, outputs).
            New, replaced and removed versions are picked up every --poll-interval-ms while running.
            """)

    @Option(help: "gRPC listen address, HOST:PORT (port 0 picks a free one).")
    var listen = "0.0.0.0:8001"

    @Option(help: ArgumentHelp("The model repository directory.", valueName: "dir"))
    var modelRepository: String

    @Option(help: "Milliseconds between scans of the repository for new, changed or removed versions.")
    var pollIntervalMs = 1000

    @Option(help: "Largest request message in bytes.")
    var maxMessageBytes = 4 * 1024 * 1024

    @Option(help: "Seconds in-flight calls get to finish after SIGTERM.")
    var shutdownGrace = 10

    @Option(help: "Threads that run models (default: one per core).")
    var inferenceThreads: Int?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        _ = try ListenAddress(parsing: listen)
        _ = try logging.level()
        var info = stat()
        guard stat(modelRepository, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("--model-repository '\(modelRepository)' is not a directory")
        }
        guard pollIntervalMs > 0 else { throw ValidationError("--poll-interval-ms must be positive") }
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must not be negative") }
        if let inferenceThreads, inferenceThreads < 1 { throw ValidationError("--inference-threads must be at least 1") }
    }

    func run() async throws {
        try logging.bootstrap()
        let logger = Logger(label: "model-worker")
        let address = try ListenAddress(parsing: listen)
        let pool = InferencePool(threads: inferenceThreads ?? System.coreCount)
        let store = RepositoryStore<ServedModel>()
        let reconciler = ModelReconciler(
            scanner: RepositoryScanner(root: modelRepository), store: store,
            logger: Logger(label: "model-repository")
        ) { request in
            try await pool.run { try ServedModel(loading: request, pool: pool) }
        }
        // The first load happens before the port opens, so a ready worker is ready at once.
        try await reconciler.reconcile()

        let service = ModelWorkerService(store: store, pool: pool)
        let health = HealthStatusStore(overall: .notServing)
        let updateHealth: @Sendable (Bool) -> Void = { ready in
            let status: HealthStatusStore.Status = ready ? .serving : .notServing
            health.set(service: "", status: status)
            health.set(service: "inference.GRPCInferenceService", status: status)
        }
        updateHealth(service.isReady)

        var configuration = ServerConfiguration(host: address.host, port: address.port)
        configuration.limits.maxReceiveMessageLength = maxMessageBytes
        let server = RPCServer(
            configuration: configuration,
            services: [InferenceService(handler: service), HealthService(store: health)],
            logger: logger)
        try await server.start()
        announceListening(host: address.host, port: server.localPort!)

        let polling = Task {
            await reconciler.run(every: .milliseconds(pollIntervalMs), clock: ContinuousClock()) { _ in
                updateHealth(service.isReady)
            }
        }
        await waitForTermination()
        logger.info("draining", metadata: ["grace": "\(shutdownGrace)s"])
        service.beginDraining()
        polling.cancel()
        health.setAll(.notServing)
        await server.shutdownGracefully(grace: .seconds(shutdownGrace))
        await polling.value
    }
}

/// The number of cores, for the default thread counts.
enum System {
    static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

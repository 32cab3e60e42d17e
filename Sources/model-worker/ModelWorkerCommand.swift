import ArgumentParser
import InferenceAPI
import Logging
import ModelRepository
import ModelWorker
import RPCTransport
import ServiceKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves every model of a model repository over the Open Inference Protocol (gRPC), with
/// grpc.health.v1, dynamic batching, hot reload of new versions, and Prometheus metrics.
@main
struct ModelWorkerCommand: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-worker",
        abstract: "Serve the ONNX models of a model repository over KServe V2 / Triton gRPC.",
        discussion: """
            Layout: DIR/<model>/<version>/model.onnx (versions are positive integers), with an optional \
            DIR/<model>/config.yaml (version_policy, max_batch_size, dynamic_batching, inputs, outputs). \
            New, replaced and removed versions are picked up every --poll-interval-ms while running, and \
            at once on SIGHUP. With --model-control-mode explicit, models are loaded and unloaded only on \
            request (RepositoryModelLoad/Unload, or POST /v2/repository/models/NAME/load|unload on \
            --http-listen), starting with those named by --load-model; SIGHUP then reloads the loaded \
            models from disk.

            /readyz (on --metrics-listen) and grpc.health report ready once every model in the \
            repository has a loaded version. SIGTERM or SIGINT: both turn not ready, in-flight calls get \
            --shutdown-grace seconds to finish, and the process exits 0.

            Every option can also be set in the YAML file given with --config (keys are the option \
            names without dashes); options on the command line win. --print-config shows the result.
            """)

    @Option(help: "gRPC listen address, HOST:PORT (port 0 picks a free one).")
    var listen = "0.0.0.0:8001"

    @Option(help: ArgumentHelp("The model repository directory.", valueName: "dir"))
    var modelRepository: String

    @Option(help: "Milliseconds between scans of the repository for new, changed or removed versions.")
    var pollIntervalMs = 1000

    @Option(
        help: ArgumentHelp(
            "poll: serve every model found, rescanning every --poll-interval-ms and on SIGHUP. explicit: serve only "
                + "the models loaded on request (RepositoryModelLoad/Unload) and by --load-model.",
            valueName: "poll|explicit"))
    var modelControlMode = ModelControlMode.poll

    @Option(
        help: ArgumentHelp(
            "With --model-control-mode explicit: a model to load at start (repeatable; '*' for every model; "
                + "default '*').", valueName: "name"))
    var loadModel: [String] = []

    @Option(help: "Largest request message in bytes.")
    var maxMessageBytes = 4 * 1024 * 1024

    @Option(help: "Threads that run models (default: one per core).")
    var inferenceThreads: Int?

    @Option(
        help: """
            Unbatched calls whose measured compute time is at most this many microseconds run on the \
            network thread that received them instead of an inference thread (0: never).
            """)
    var inlineComputeLimitUs = 50

    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        _ = try ListenAddress(parsing: listen)
        var info = stat()
        guard stat(modelRepository, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("--model-repository '\(modelRepository)' is not a directory")
        }
        if !loadModel.isEmpty && modelControlMode != .explicit {
            throw ValidationError("--load-model needs --model-control-mode explicit (poll serves every model)")
        }
        guard pollIntervalMs > 0 else { throw ValidationError("--poll-interval-ms must be positive") }
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
        if let inferenceThreads, inferenceThreads < 1 { throw ValidationError("--inference-threads must be at least 1") }
        guard (0...1_000_000).contains(inlineComputeLimitUs) else {
            throw ValidationError("--inline-compute-limit-us must be between 0 and 1000000")
        }
    }

    func run() async throws {
        let runtime = try await ServiceRuntime.start(operations, service: "model-worker")
        let logger = runtime.logger
        let address = try ListenAddress(parsing: listen)
        let pool = InferencePool(
            threads: inferenceThreads ?? System.coreCount, inlineLimit: .microseconds(inlineComputeLimitUs))
        let store = RepositoryStore<ServedModel>()
        let observer = WorkerMetrics(metrics: ModelMetrics(metrics: runtime.metrics))
        let reconciler = ModelReconciler(
            scanner: RepositoryScanner(root: modelRepository), store: store,
            logger: Logger(label: "model-repository")
        ) { request in
            try await pool.run { try ServedModel(loading: request, pool: pool, observer: observer) }
        }
        if modelControlMode == .explicit {
            try await reconciler.startExplicitControl(loading: Set(loadModel.isEmpty ? ["*"] : loadModel))
        }
        runtime.readiness.setCheck { WorkerReadiness.state(of: store.snapshot) }
        // The first load happens before the gRPC port opens, so a worker that listens is ready.
        try await reconciler.reconcile()

        // Health reads the service's readiness; the service updates health after a load or unload.
        let serviceForHealth = Mutex<ModelWorkerService?>(nil)
        let health = ServingHealth { serviceForHealth.withLock { $0?.isReady ?? false } }
        let service = ModelWorkerService(store: store, pool: pool, reconciler: reconciler, repositoryChanged: health.update)
        serviceForHealth.withLock { $0 = service }
        health.update()
        let server = try await runtime.startServer(
            address, services: [InferenceService(handler: service)], health: health, maxMessageBytes: maxMessageBytes)
        let rescans = RescanLoop(
            reconciler: reconciler, every: modelControlMode == .poll ? .milliseconds(pollIntervalMs) : nil, logger: logger,
            after: health.update)
        await runtime.run(
            server: server, health: health, services: [rescans], reload: { rescans.rescanNow() },
            beforeDrain: { service.beginDraining() })
    }
}

/// How the worker decides which models to serve.
enum ModelControlMode: String, ExpressibleByArgument, CaseIterable {
    case poll
    case explicit
}

/// The number of cores, for the default thread counts.
enum System {
    static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

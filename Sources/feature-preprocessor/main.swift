import ArgumentParser
import FeaturePipeline
import FeaturePreprocessor
import InferenceAPI
import Logging
import RPCTransport
import ServiceKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves the pipeline specs of a directory over the Open Inference Protocol (gRPC): raw
/// feature columns in, the model's input tensor out; grpc.health.v1 and hot reload included.
@main
struct FeaturePreprocessorCommand: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "feature-preprocessor",
        abstract:
            "Turn raw feature rows into model input tensors with fitted scikit-learn pipelines, over KServe V2 / Triton gRPC.",
        discussion: """
            Each DIR/<name>.yaml (or .yml) is a pipeline spec, served as model <name>; write one from a fitted
            scikit-learn Pipeline or ColumnTransformer with scripts/export-pipeline. New, changed and removed specs
            are picked up every --poll-interval-ms; an invalid spec is logged and never replaces a serving one.
            Callers send one input per raw column (BYTES for text, FP32/FP64/INT64/INT32/BOOL for numbers; NaN or
            an empty BYTES element is missing) or one BYTES input 'records' of JSON objects. SIGHUP rescans the
            directory at once. SIGTERM or SIGINT: /readyz and grpc.health turn not ready, in-flight calls get
            --shutdown-grace seconds to finish, then the process exits 0.
            """)

    @Option(help: "gRPC listen address, HOST:PORT (port 0 picks a free one).")
    var listen = "0.0.0.0:7001"

    @Option(help: ArgumentHelp("The directory of pipeline specs (NAME.yaml).", valueName: "dir"))
    var pipelines: String

    @Option(help: "Milliseconds between scans of the directory for new, changed or removed specs.")
    var pollIntervalMs = 1000

    @Option(help: "Largest request message in bytes.")
    var maxMessageBytes = 4 * 1024 * 1024

    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        _ = try ListenAddress(parsing: listen)
        var info = stat()
        guard stat(pipelines, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("--pipelines '\(pipelines)' is not a directory")
        }
        guard pollIntervalMs > 0 else { throw ValidationError("--poll-interval-ms must be positive") }
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
    }

    func run() async throws {
        let runtime = try await ServiceRuntime.start(operations, service: "feature-preprocessor")
        let address = try ListenAddress(parsing: listen)
        let reloader = PipelineReloader(root: pipelines, logger: Logger(label: "pipelines"))
        // The first load happens before the port opens, so a ready process is ready at once.
        await reloader.reload()
        let service = FeaturePreprocessorService(catalog: reloader.catalog)
        runtime.readiness.setCheck { service.isReady ? .ready : .notReady("a pipeline spec failed to load") }
        let health = ServingHealth { service.isReady }
        let server = try await runtime.startServer(
            address, services: [InferenceService(handler: service)], health: health, maxMessageBytes: maxMessageBytes)
        let polling = PeriodicService(every: .milliseconds(pollIntervalMs)) {
            await reloader.reload()
            health.update()
        }
        await runtime.run(
            server: server, health: health, services: [polling],
            reload: {
                await reloader.reload()
                health.update()
            },
            beforeDrain: { service.beginDraining() })
    }
}

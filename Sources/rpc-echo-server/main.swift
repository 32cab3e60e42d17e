import ArgumentParser
import InferenceAPI
import Logging
import RPCCore
import RPCEcho
import RPCTransport
import ServiceKit

/// A model-less gRPC server for trying and benchmarking the RPC layer: the inference service's
/// server-level methods, grpc.health.v1 and the rpctest.Echo service.
@main
struct RPCEchoServer: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc-echo-server",
        abstract: "Serve grpc.health.v1, rpctest.Echo and the server-level inference RPCs (no models).")

    @Option(help: "gRPC listen address, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:8001"

    @Option(help: "Largest request message in bytes.")
    var maxMessageBytes = 4 * 1024 * 1024

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int?

    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        _ = try ListenAddress(parsing: listen)
    }

    func run() async throws {
        let runtime = try await ServiceRuntime.start(operations, service: "rpc-echo-server")
        let address = try ListenAddress(parsing: listen)
        let health = ServingHealth { true }
        runtime.readiness.setCheck { .ready }
        let server = try await runtime.startServer(
            address, services: [InferenceService(handler: EchoServerInference()), EchoService()], health: health,
            maxMessageBytes: maxMessageBytes
        ) { configuration in
            if let threads { configuration.threads = threads }
        }
        await runtime.run(server: server, health: health)
    }
}

/// The inference service of a server without models: alive and ready, every model unknown.
struct EchoServerInference: InferenceServiceHandler {
    func serverLive(_ request: ServerLiveRequest, context: ServerContext) async throws -> ServerLiveResponse {
        ServerLiveResponse(live: true)
    }

    func serverReady(_ request: ServerReadyRequest, context: ServerContext) async throws -> ServerReadyResponse {
        ServerReadyResponse(ready: true)
    }

    func serverMetadata(_ request: ServerMetadataRequest, context: ServerContext) async throws -> ServerMetadataResponse {
        ServerMetadataResponse(name: "rpc-echo-server", version: "0.1.0", extensions: [])
    }

    func modelReady(_ request: ModelReadyRequest, context: ServerContext) async throws -> ModelReadyResponse {
        throw noModel(request.name)
    }

    func modelMetadata(_ request: ModelMetadataRequest, context: ServerContext) async throws -> ModelMetadataResponse {
        throw noModel(request.name)
    }

    func modelInfer(_ request: InferRequest, context: ServerContext) async throws -> InferResponse {
        throw noModel(request.modelName)
    }

    private func noModel(_ name: String) -> RPCError {
        RPCError(.notFound, "unknown model '\(name)': rpc-echo-server serves no models")
    }
}

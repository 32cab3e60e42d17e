import ArgumentParser
import InferenceAPI
import Logging
import RPCCore
import RPCEcho
import RPCTransport
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// A model-less gRPC server for trying and benchmarking the RPC layer: the inference service's
/// server-level methods, grpc.health.v1 and the rpctest.Echo service.
@main
struct RPCEchoServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc-echo-server",
        abstract: "Serve grpc.health.v1, rpctest.Echo and the server-level inference RPCs (no models).")

    @Option(help: "gRPC listen address, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:8001"

    @Option(help: "Largest request message in bytes.")
    var maxMessageBytes = 4 * 1024 * 1024

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int?

    @Option(help: "Seconds in-flight calls get to finish after SIGTERM.")
    var shutdownGrace = 10

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let (host, port) = try parseAddress(listen)
        var configuration = ServerConfiguration(host: host, port: port)
        configuration.limits.maxReceiveMessageLength = maxMessageBytes
        if let threads { configuration.threads = threads }

        let health = HealthStatusStore(overall: .serving)
        let server = RPCServer(
            configuration: configuration,
            services: [InferenceService(handler: EchoServerInference()), HealthService(store: health), EchoService()],
            logger: Logger(label: "rpc-echo-server"))
        try await server.start()
        // Scripts and tests read the bound port from this line.
        let line = "listening on \(host):\(server.localPort!)\n"
        _ = line.withCString { write(STDOUT_FILENO, $0, strlen($0)) }

        await waitForTermination()
        health.setAll(.notServing)
        await server.shutdownGracefully(grace: .seconds(shutdownGrace))
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

/// Splits HOST:PORT, with a message naming the flag when it is malformed.
func parseAddress(_ address: String) throws -> (String, Int) {
    guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
        (0...65_535).contains(port), colon != address.startIndex
    else {
        throw ValidationError("--listen \(address) is not HOST:PORT with a port from 0 to 65535")
    }
    return (String(address[..<colon]), port)
}

/// Returns on SIGTERM or SIGINT.
func waitForTermination() async {
    for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { return }
}

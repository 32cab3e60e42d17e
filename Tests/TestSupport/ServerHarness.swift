import Logging
import RPCCore
import RPCTransport

/// Runs `body` against a server on a free loopback port, then shuts it down gracefully.
public func withServer<T>(
    services: [any RPCService],
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (RPCServer, Int) async throws -> T
) async throws -> T {
    var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.threads = 2
    configure(&configuration)
    var logger = Logger(label: "test.server")
    logger.logLevel = .warning
    let server = RPCServer(configuration: configuration, services: services, logger: logger)
    try await server.start()
    do {
        let result = try await body(server, server.localPort!)
        await server.shutdownGracefully(grace: .seconds(5))
        return result
    } catch {
        await server.shutdownGracefully(grace: .seconds(1))
        throw error
    }
}

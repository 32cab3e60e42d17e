import RPCTransport
import ServiceLifecycle

/// The gRPC server as a service: it serves until graceful shutdown, then drains in the order
/// load balancers need: readiness false, grpc.health NOT_SERVING, GOAWAY, and in-flight calls
/// get the grace period.
struct GRPCServerService: Service {
    let server: RPCServer
    let health: ServingHealth
    let readiness: Readiness
    let grace: Duration
    /// Runs once readiness is false, before the drain (a service's own "draining" flag).
    let beforeDrain: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        readiness.beginDraining()
        await beforeDrain()
        health.stopServing()
        await server.shutdownGracefully(grace: grace)
    }
}

/// The ops HTTP port as a service: open until graceful shutdown, closed last.
struct OpsHTTPService: Service {
    let server: OpsHTTPServer

    func run() async throws {
        try? await gracefulShutdown()
        await server.stop()
    }
}

import RPCCore

/// The standard gRPC health service (`grpc.health.v1.Health`) over a `HealthStatusStore`.
public struct HealthService: RPCService {
    public let store: HealthStatusStore

    public init(store: HealthStatusStore) {
        self.store = store
    }

    public var methods: [MethodHandler] {
        let store = store
        return [
            .unary(HealthMethods.check) { (request: HealthCheckRequest, _) -> HealthCheckResponse in
                // The health spec asks for NOT_FOUND, not SERVICE_UNKNOWN, from Check.
                guard let status = store.status(of: request.service) else {
                    throw RPCError(.notFound, "unknown service '\(request.service)'")
                }
                return HealthCheckResponse(status: status)
            },
            .serverStreaming(HealthMethods.watch) {
                (request: HealthCheckRequest, _, stream: ResponseStream<HealthCheckResponse>) in
                var last: HealthStatusStore.Status?
                for await status in store.updates(for: request.service) where status != last {
                    try await stream.write(HealthCheckResponse(status: status))
                    last = status
                }
                // The updates only end when this call's task is cancelled.
                throw CancellationError()
            },
        ]
    }
}

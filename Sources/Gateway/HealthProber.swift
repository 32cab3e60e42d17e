import InferenceAPI
import Logging
import RPCCore
import Routing

/// Asks every replica's grpc.health.v1 service whether it serves, and tells the balancers.
public struct HealthProber: Sendable {
    public let clients: UpstreamClients
    public let timeout: Duration
    public let logger: Logger

    public init(clients: UpstreamClients, timeout: Duration = .seconds(1), logger: Logger) {
        self.clients = clients
        self.timeout = timeout
        self.logger = logger
    }

    /// Probes every replica of every set once, concurrently.
    public func probe(_ sets: [EndpointSet]) async {
        await withTaskGroup(of: Void.self) { group in
            for set in sets {
                for upstream in set.upstreams {
                    group.addTask {
                        let serving = await isServing(upstream)
                        let wasReady = set.balancer.statuses().first { $0.endpoint == upstream }?.ready
                        if wasReady != serving {
                            logger.info(serving ? "replica serving" : "replica not serving", metadata: ["replica": "\(upstream)"])
                        }
                        set.balancer.setReady(upstream, serving)
                    }
                }
            }
        }
    }

    private func isServing(_ upstream: Upstream) async -> Bool {
        do {
            let response = try await clients.client(for: upstream).unary(
                HealthMethods.check, HealthCheckRequest(service: ""), timeout: timeout, as: HealthCheckResponse.self)
            return response.message.status == .serving
        } catch {
            return false
        }
    }
}

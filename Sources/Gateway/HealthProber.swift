import InferenceAPI
import Logging
import RPCCore
import Routing

/// Asks every replica's grpc.health.v1 service whether it serves, and tells the balancers.
///
/// A replica that answers NOT_SERVING or refuses connections is taken out at once; one whose
/// probes only time out is taken out after `timeoutsToUnready` in a row, so a busy moment on a
/// loaded machine does not empty a version. A replica that serves again after it did not is
/// re-admitted with a clean record, ejection included.
public struct HealthProber: Sendable {
    public let clients: UpstreamClients
    public let timeout: Duration
    public let timeoutsToUnready = 3
    public let logger: Logger
    private let timeouts = MutexBox<[Upstream: Int]>([:])

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
                        guard let serving = await verdict(upstream) else { return }
                        let wasReady = set.balancer.statuses().first { $0.endpoint == upstream }?.ready
                        if wasReady != serving {
                            logger.info(serving ? "replica serving" : "replica not serving", metadata: ["replica": "\(upstream)"])
                        }
                        if serving, wasReady == false {
                            // Back from not serving: a new start, so an old ejection ends too.
                            set.readmit(upstream)
                        }
                        set.balancer.setReady(upstream, serving)
                    }
                }
            }
        }
    }

    /// Whether the replica serves; nil when a timed-out probe does not decide it yet.
    private func verdict(_ upstream: Upstream) async -> Bool? {
        do {
            let response = try await clients.client(for: upstream).unary(
                HealthMethods.check, HealthCheckRequest(service: ""), timeout: timeout, as: HealthCheckResponse.self)
            timeouts.withLock { $0[upstream] = nil }
            return response.message.status == .serving
        } catch where error.code == .deadlineExceeded {
            let count = timeouts.withLock { counts -> Int in
                counts[upstream, default: 0] += 1
                return counts[upstream]!
            }
            return count >= timeoutsToUnready ? false : nil
        } catch {
            timeouts.withLock { $0[upstream] = nil }
            return false
        }
    }
}

import InferenceAPI
import Logging
import RPCCore
import Routing

/// Asks every replica's grpc.health.v1 service whether it serves, and tells the balancers.
///
/// A replica that answers NOT_SERVING or refuses connections is taken out at once; one whose
/// probes only time out is taken out after `timeoutsToUnready` in a row, so a busy moment on a
/// loaded machine does not empty a version. A replica seen serving after it did not, or on a new
/// connection (a restart between two probes), is taken back with a clean record, ejection
/// included. Probes connect at once even while the client backs off, so a replica that is back
/// is seen at the next probe.
public struct HealthProber: Sendable {
    public let clients: UpstreamClients
    public let timeout: Duration
    public let timeoutsToUnready = 3
    public let logger: Logger
    private let timeouts = MutexBox<[Upstream: Int]>([:])
    /// Connections each replica's client had established when it was last seen serving.
    private let servingConnections = MutexBox<[Upstream: Int]>([:])

    public init(clients: UpstreamClients, timeout: Duration = .seconds(1), logger: Logger) {
        self.clients = clients
        self.timeout = timeout
        self.logger = logger
    }

    /// Probes every replica of every set once, concurrently.
    public func probe(_ sets: [EndpointSet]) async {
        let probed = Set(sets.flatMap(\.upstreams))
        timeouts.withLock { $0 = $0.filter { probed.contains($0.key) } }
        servingConnections.withLock { $0 = $0.filter { probed.contains($0.key) } }
        await withTaskGroup(of: Void.self) { group in
            for set in sets {
                for upstream in set.upstreams {
                    group.addTask {
                        guard let serving = await verdict(upstream) else { return }
                        set.balancer.setReady(upstream, serving, reconnected: serving && reconnected(upstream))
                    }
                }
            }
        }
    }

    /// Whether the replica's client reached it on a new connection since it was last seen serving.
    private func reconnected(_ upstream: Upstream) -> Bool {
        let established = clients.client(for: upstream).connectionsEstablished
        return servingConnections.withLock { seen in
            defer { seen[upstream] = established }
            return seen[upstream].map { $0 != established } ?? false
        }
    }

    /// Whether the replica serves; nil when a timed-out probe does not decide it yet.
    private func verdict(_ upstream: Upstream) async -> Bool? {
        let client = clients.client(for: upstream)
        client.connectNow()
        do {
            let response = try await client.unary(
                HealthMethods.check, HealthCheckRequest(service: ""), timeout: timeout, as: HealthCheckResponse.self)
            timeouts.withLock { $0[upstream] = nil }
            return response.message.status == .serving
        } catch  where error.code == .deadlineExceeded {
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

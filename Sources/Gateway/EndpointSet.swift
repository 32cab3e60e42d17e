import Logging
import Routing

/// The replicas of one version (or of a route's preprocessor): the endpoints as written in the
/// routes, what they resolve to now, and the balancer that picks one per call.
public final class EndpointSet: Sendable {
    public let endpoints: [EndpointAddress]
    public let balancer: EndpointBalancer<Upstream>
    /// Which written endpoint each replica came from, for the admin service.
    private let origins: MutexBox<[Upstream: EndpointAddress]>

    public init(endpoints: [EndpointAddress], configuration: EndpointBalancerConfiguration, clock: any RoutingClock) {
        self.endpoints = endpoints
        var upstreams: [Upstream] = []
        var origins: [Upstream: EndpointAddress] = [:]
        for case .hostPort(let host, let port) in endpoints {
            let upstream = Upstream(host: host, port: port)
            upstreams.append(upstream)
            origins[upstream] = .hostPort(host: host, port: port)
        }
        // Static replicas are known at once; DNS ones arrive with the first resolution.
        self.balancer = EndpointBalancer(endpoints: upstreams, configuration: configuration, clock: clock)
        self.origins = MutexBox(origins)
    }

    /// Whether any endpoint is a DNS name that must be re-resolved over time.
    public var needsResolution: Bool {
        endpoints.contains { if case .dns = $0 { true } else { false } }
    }

    /// Re-resolves DNS endpoints; a name that fails keeps its previous replicas (a DNS blip should
    /// not empty a version).
    public func refresh(using resolver: AddressResolver, logger: Logger) async {
        guard needsResolution else { return }
        let previous = origins.value
        var next: [Upstream: EndpointAddress] = [:]
        for endpoint in endpoints {
            do {
                for upstream in try await resolver.resolve(endpoint) { next[upstream] = endpoint }
            } catch {
                logger.warning(
                    "endpoint resolution failed; keeping its last replicas",
                    metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                for (upstream, origin) in previous where origin == endpoint { next[upstream] = origin }
            }
        }
        origins.withLock { origins in
            origins = next
            balancer.setEndpoints(next.keys.sorted { $0.description < $1.description })
        }
    }

    /// The replicas now in the set.
    public var upstreams: [Upstream] { balancer.statuses().map(\.endpoint) }

    /// Replicas that can take a call now (ready and not ejected).
    public var usableCount: Int {
        balancer.statuses().count { $0.ready && $0.ejectedFor == nil }
    }

    /// The written endpoint a replica came from.
    public func origin(of upstream: Upstream) -> EndpointAddress? { origins.value[upstream] }
}

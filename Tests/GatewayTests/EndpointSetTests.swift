import Logging
import Routing
import Synchronization
import Testing

@testable import Gateway

@Suite("endpoint sets and DNS re-resolution")
struct EndpointSetTests {
    @Test func dnsEndpointsFollowTheNameAndKeepReplicasThroughAFailedLookup() async throws {
        let answers = Mutex<Result<[String], ResolutionError>>(.success(["10.0.0.2", "10.0.0.1"]))
        let resolver = AddressResolver { name in
            #expect(name == "iris-v1.models.svc.cluster.local")
            return try answers.withLock { try $0.get() }
        }
        let set = EndpointSet(
            endpoints: [
                try EndpointAddress(parsing: "dns:///iris-v1.models.svc.cluster.local:8001"),
                try EndpointAddress(parsing: "127.0.0.1:9000"),
            ],
            configuration: .defaults, clock: SystemRoutingClock())
        #expect(set.needsResolution)
        #expect(set.upstreams == [Upstream(host: "127.0.0.1", port: 9000)], "static replicas are known before any lookup")

        let logger = Logger(label: "test")
        await set.refresh(using: resolver, logger: logger)
        #expect(
            Set(set.upstreams) == [
                Upstream(host: "10.0.0.1", port: 8001), Upstream(host: "10.0.0.2", port: 8001),
                Upstream(host: "127.0.0.1", port: 9000),
            ])
        #expect(
            set.origin(of: Upstream(host: "10.0.0.1", port: 8001))?.description == "dns:///iris-v1.models.svc.cluster.local:8001")

        // A pod goes away and another comes: the set follows.
        answers.withLock { $0 = .success(["10.0.0.3", "10.0.0.2"]) }
        await set.refresh(using: resolver, logger: logger)
        #expect(
            Set(set.upstreams) == [
                Upstream(host: "10.0.0.2", port: 8001), Upstream(host: "10.0.0.3", port: 8001),
                Upstream(host: "127.0.0.1", port: 9000),
            ])

        // A failed lookup keeps the last replicas rather than emptying the version.
        answers.withLock { $0 = .failure(ResolutionError(name: "iris-v1", reason: "timeout")) }
        await set.refresh(using: resolver, logger: logger)
        #expect(Set(set.upstreams).count == 3)
    }

    @Test func theSystemResolverFindsLocalhost() async throws {
        let addresses = try await AddressResolver.systemLookup("localhost")
        #expect(addresses.contains("127.0.0.1") || addresses.contains("::1"), "\(addresses)")
    }
}

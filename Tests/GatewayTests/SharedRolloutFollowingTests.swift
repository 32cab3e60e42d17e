import EtcdClient
import Foundation
import Gateway
import Logging
import RolloutCoordination
import Routing
import TestSupport
import Testing

/// Which shared records a gateway follows: one for its own routes, not one written for other
/// versions or another route set (a ConfigMap still propagating, two fleets on one prefix).
@Suite(.serialized) struct SharedRolloutFollowingTests {
    static let routes = """
        models:
          iris:
            versions:
              "1": {endpoints: ["127.0.0.1:9"]}
              "2": {endpoints: ["127.0.0.1:9"]}
              "3": {endpoints: ["127.0.0.1:9"]}
            canary: {stable: "1", candidate: "2", steps: [10, 50, 100], interval: 1h}
        """

    static func withSharedGateway(_ body: (Gateway, EtcdClient, RolloutKeys) async throws -> Void) async throws {
        try await withEtcdCluster { cluster in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shared-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let routesPath = directory.appendingPathComponent("routes.yaml").path
            try routes.write(toFile: routesPath, atomically: true, encoding: .utf8)
            var logger = Logger(label: "test.shared")
            logger.logLevel = .critical
            var options = GatewayOptions(routesPath: routesPath, canaryStatePath: nil)
            let keys = RolloutKeys(prefix: "follow")
            options.coordination = .init(etcd: try cluster.configuration(), keys: keys, leaseTTL: 2, replicaID: "gw")
            let gateway = Gateway(options: options, logger: logger)
            try await gateway.start()
            let etcd = try cluster.client()
            try await body(gateway, etcd, keys)
            await etcd.close()
            await gateway.shutdown()
        }
    }

    static func put(_ etcd: EtcdClient, _ keys: RolloutKeys, routeSet: String, candidate: String, weight: Int) async throws {
        let policy = CanaryPolicy(stable: "1", candidate: candidate, steps: [10, 50, 100])
        var state = CanaryState.start(policy, at: Date())
        state.candidateWeight = weight
        let record = RolloutRecord(routeSet: routeSet, writer: "elsewhere", writtenAt: Date(), state: state)
        _ = try await etcd.put(keys.rollout("iris"), RecordCoding.encode(record))
    }

    static func load(_ gateway: Gateway) async {
        _ = await gateway.shared!.session.load()
        gateway.shared!.apply()
    }

    @Test func aRecordForThisRouteSetIsFollowed() async throws {
        try await Self.withSharedGateway { gateway, etcd, keys in
            try await Self.put(etcd, keys, routeSet: RouteSetIdentity.of(models: ["iris"]), candidate: "2", weight: 50)
            await Self.load(gateway)
            #expect(gateway.table.model("iris")?.weights["2"] == 50)
            #expect(gateway.shared!.coordinationText(for: "iris").hasPrefix("following") || gateway.shared!.session.isLeader)
        }
    }

    @Test func aRecordForOtherVersionsKeepsTheDeclaredWeights() async throws {
        try await Self.withSharedGateway { gateway, etcd, keys in
            try await Self.put(etcd, keys, routeSet: RouteSetIdentity.of(models: ["iris"]), candidate: "3", weight: 50)
            await Self.load(gateway)
            #expect(gateway.table.model("iris")?.weights == ["1": 100, "2": 0, "3": 0])
            #expect(gateway.shared!.coordinationText(for: "iris").contains("not following: its shared rollout is 1 -> 3"))
        }
    }

    @Test func aRecordOfAnotherRouteSetIsNotFollowed() async throws {
        try await Self.withSharedGateway { gateway, etcd, keys in
            try await Self.put(etcd, keys, routeSet: "someone-else", candidate: "2", weight: 50)
            await Self.load(gateway)
            #expect(gateway.table.model("iris")?.weights == ["1": 100, "2": 0, "3": 0])
            #expect(gateway.shared!.coordinationText(for: "iris").contains("belongs to route set someone-else"))
        }
    }
}

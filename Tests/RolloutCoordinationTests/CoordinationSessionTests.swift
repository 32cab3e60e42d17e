import EtcdClient
import Foundation
import Logging
import RolloutCoordination
import Routing
import TestSupport
import Testing

/// The session against a real etcd: election, fencing of a deposed leader, unreadable values and
/// bad credentials.
@Suite(.serialized) struct CoordinationSessionTests {
    static func session(
        _ cluster: EtcdCluster, prefix: String, id: String, user: String? = nil, password: String? = nil
    )
        throws -> CoordinationSession
    {
        var logger = Logger(label: "test.coordination.\(id)")
        logger.logLevel = .critical
        let configuration = try cluster.configuration(user: user, password: password)
        return CoordinationSession(
            settings: .init(etcd: configuration, keys: RolloutKeys(prefix: prefix), leaseTTL: 2, replicaID: id),
            logger: logger)
    }

    static func record(_ writer: String, weight: Int) -> RolloutRecord {
        let policy = CanaryPolicy(stable: "1", candidate: "2", steps: [10, 50, 100])
        var state = CanaryState.start(policy, at: Date())
        state.candidateWeight = weight
        return RolloutRecord(routeSet: "set", writer: writer, writtenAt: Date(), state: state)
    }

    static func waitFor(_ limit: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func aDeposedLeadersWritesAreRefused() async throws {
        try await withEtcdCluster { cluster in
            let first = try Self.session(cluster, prefix: "fence", id: "first")
            let second = try Self.session(cluster, prefix: "fence", id: "second")
            let runs = [Task { await first.run() }, Task { await second.run() }]
            defer { for run in runs { run.cancel() } }
            #expect(try await Self.waitFor { first.standing.connected && second.standing.connected })
            await first.campaignIfNoLeader()
            #expect(try await Self.waitFor { first.isLeader && second.view.leader == "first" })
            await second.campaignIfNoLeader()
            #expect(!second.isLeader)
            let revision = try await first.writeRollout(
                Self.record("first", weight: 10), model: "iris", expecting: 0, asLeader: true)

            // The first leader's lease is gone (as after a pause past the TTL): the second takes over.
            let etcd = try cluster.client()
            _ = try await etcd.delete(RolloutKeys(prefix: "fence").leader)
            #expect(try await Self.waitFor { second.view.leader == nil || second.view.leader == "second" })
            await second.campaignIfNoLeader()
            #expect(try await Self.waitFor { second.isLeader && first.view.leader == "second" })
            let next = try await second.writeRollout(
                Self.record("second", weight: 50), model: "iris", expecting: revision, asLeader: true)

            // The old leader writes from its old view: refused, the successor's decision stands.
            await #expect {
                try await first.writeRollout(Self.record("first", weight: 100), model: "iris", expecting: next, asLeader: true)
            } throws: { error in
                if case .refused = error as? CoordinationSession.WriteError { return true }
                return false
            }
            // A write from a stale revision is refused too, leader or not.
            await #expect(throws: CoordinationSession.WriteError.self) {
                try await second.writeRollout(
                    Self.record("second", weight: 100), model: "iris", expecting: revision, asLeader: false)
            }
            let stored = try #require(try await etcd.get(RolloutKeys(prefix: "fence").rollout("iris")).value)
            #expect(try RecordCoding.decode(RolloutRecord.self, from: stored.value).state.candidateWeight == 50)
            #expect(try await Self.waitFor { first.view.rollouts["iris"]?.record?.state.candidateWeight == 50 })
            await etcd.close()
            await first.client.close()
            await second.client.close()
        }
    }

    @Test func anUnreadableValueIsSkippedWithTheReason() async throws {
        try await withEtcdCluster { cluster in
            let session = try Self.session(cluster, prefix: "corrupt", id: "only")
            let etcd = try cluster.client()
            _ = try await etcd.put(RolloutKeys(prefix: "corrupt").rollout("iris"), Array("{not json".utf8))
            _ = try await etcd.put(RolloutKeys(prefix: "corrupt").hints, Array(#"{"leader": 3}"#.utf8))
            #expect(await session.load())
            let rollout = try #require(session.view.rollouts["iris"])
            #expect(rollout.record == nil && rollout.problem != nil && rollout.revision > 0)
            #expect(session.view.hints == nil)
            await etcd.close()
            await session.client.close()
        }
    }

    @Test func wrongCredentialsAreReportedAndNothingIsRead() async throws {
        try await withEtcdCluster { cluster in
            try await cluster.enableAuth(rootPassword: "right")
            let wrong = try Self.session(cluster, prefix: "auth", id: "wrong", user: "root", password: "wrong")
            #expect(await wrong.load() == false)
            let standing = wrong.standing
            #expect(!standing.connected)
            #expect(standing.lastError?.contains("authentication failed") == true, "\(standing.lastError ?? "")")
            #expect(standing.lastError?.contains("--etcd-password-file") == true)
            let right = try Self.session(cluster, prefix: "auth", id: "right", user: "root", password: "right")
            #expect(await right.load())
            await wrong.client.close()
            await right.client.close()
        }
    }

    @Test func unreachableEtcdIsReportedWithoutBlocking() async throws {
        try await withEtcdCluster { cluster in
            let session = try Self.session(cluster, prefix: "down", id: "only")
            await cluster.stopAll()
            let started = ContinuousClock.now
            #expect(await session.load() == false)
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(session.standing.cutOffSince != nil && !session.standing.connected)
            try cluster.startAll()
            try await cluster.waitUntilReady()
            #expect(await session.load())
            #expect(session.standing.connected)
            await session.client.close()
        }
    }
}

import AdminAPI
import EtcdClient
import Foundation
import InferenceAPI
import Logging
import RPCTransport
import RolloutCoordination
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Three gateway replicas sharing one rollout through a real three-member etcd cluster, with real
/// workers and steady load through every gateway (issue 18's scenarios).
@Suite("shared rollouts across gateway replicas", .serialized)
struct SharedRolloutTests {
    /// The workers, the etcd cluster and the gateways of one scenario.
    final class SharedMesh: @unchecked Sendable {
        static let ttl = 2
        let etcd: EtcdCluster
        let scratch: GatewayScratch
        let v1: ServiceProcess
        let v2: ServiceProcess
        let prefix = "test-\(UUID().uuidString.prefix(8))"
        private(set) var gateways: [ServiceProcess] = []
        private(set) var probes: [AdminProbe] = []

        init(policy: String, gateways count: Int = 3, brokenCandidate: Bool = false) async throws {
            etcd = try await EtcdCluster.start(members: 3)
            scratch = try GatewayScratch()
            v1 = try await Mesh.worker(try scratch.repository("v1", version: 1))
            let broken = brokenCandidate ? Data("not onnx".utf8) : nil
            v2 = try await Mesh.worker(try scratch.repository("v2", version: 2, modelBytes: broken))
            try scratch.writeTwoVersionRoutes(v1, v2, policy: policy)
            for _ in 0..<count { _ = try await addGateway() }
        }

        var coordination: String {
            "etcd://" + etcd.clientEndpoints.map(\.description).joined(separator: ",") + "/" + prefix
        }

        /// Starts one more gateway replica on the shared state.
        func addGateway() async throws -> Int {
            let gateway = try await Mesh.gateway(
                scratch, extra: ["--coordination", coordination, "--coordination-ttl", "\(Self.ttl)"],
                readingMetricsPort: true)
            gateways.append(gateway)
            probes.append(AdminProbe(gateway: gateway))
            return gateways.count - 1
        }

        /// Every running gateway's canary status (nil for one that does not answer).
        func statuses(_ indexes: [Int]? = nil) async -> [Int: CanaryStatus] {
            var result: [Int: CanaryStatus] = [:]
            for index in indexes ?? Array(gateways.indices) where gateways[index].isRunning {
                if let status = try? await probes[index].canary() { result[index] = status }
            }
            return result
        }

        /// Every gateway's phase, weight, leader and last decision, for failure messages.
        func summary() async -> String {
            await statuses().sorted { $0.key < $1.key }.map { index, status in
                "gateway \(index): \(status.phase) \(status.weight)% leader \(status.leader) [\(status.coordination)]"
                    + " decision: \(status.lastDecision)"
            }.joined(separator: "\n")
        }

        /// The gateway whose process id the leader's replica id carries.
        func leaderIndex(among indexes: [Int]? = nil) async -> Int? {
            for status in (await statuses(indexes)).values where !status.leader.isEmpty {
                let parts = status.leader.split(separator: "-")
                guard parts.count >= 2, let pid = Int32(parts[parts.count - 2]) else { continue }
                return gateways.firstIndex { $0.processIdentifier == pid }
            }
            return nil
        }

        /// Waits until every gateway in `indexes` shows a status for which `condition` holds.
        func waitUntilAll(
            _ indexes: [Int]? = nil, within limit: Duration = .seconds(60), _ condition: @escaping (CanaryStatus) -> Bool
        ) async throws -> Bool {
            let wanted = indexes ?? Array(gateways.indices)
            return try await timeUntil(limit, every: .milliseconds(100)) {
                let statuses = await self.statuses(wanted)
                return statuses.count == wanted.count && statuses.values.allSatisfy(condition)
            } != nil
        }

        func stop() async {
            for probe in probes { await probe.close() }
            for gateway in gateways where gateway.isRunning {
                gateway.send(SIGCONT)
                _ = await gateway.terminate()
            }
            _ = await v1.terminate()
            _ = await v2.terminate()
            await etcd.shutdown()
        }
    }

    /// When each gateway first showed each (phase, weight): for checking that replicas move together.
    final class StepTimeline: @unchecked Sendable {
        private var firstSeen: [String: [Int: ContinuousClock.Instant]] = [:]

        func observe(_ statuses: [Int: CanaryStatus], at now: ContinuousClock.Instant = .now) {
            for (gateway, status) in statuses {
                let step = "\(status.phase) \(Int(status.weight))%"
                if firstSeen[step, default: [:]][gateway] == nil { firstSeen[step, default: [:]][gateway] = now }
            }
        }

        /// The largest gap between the first and the last gateway reaching a step, over steps
        /// all of `gateways` reached.
        func largestSpread(over gateways: [Int]) -> (step: String, spread: Duration) {
            var worst = ("none", Duration.zero)
            for (step, seen) in firstSeen where gateways.allSatisfy({ seen[$0] != nil }) {
                let times = gateways.compactMap { seen[$0] }
                let spread = times.max()! - times.min()!
                if spread > worst.1 { worst = (step, spread) }
            }
            return worst
        }

        var steps: [String] { firstSeen.keys.sorted() }
    }

    /// Polls every gateway until `condition` holds for all, recording the timeline.
    static func follow(
        _ mesh: SharedMesh, _ timeline: StepTimeline, indexes: [Int]? = nil, within limit: Duration = .seconds(60),
        until condition: @escaping (CanaryStatus) -> Bool
    ) async throws -> Bool {
        let wanted = indexes ?? Array(mesh.gateways.indices)
        let started = ContinuousClock.now
        while ContinuousClock.now - started < limit {
            let statuses = await mesh.statuses(wanted)
            timeline.observe(statuses)
            if statuses.count == wanted.count, statuses.values.allSatisfy(condition) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The candidate weights of a history's progressing and promoted transitions, in order.
    static func stepWeights(_ status: CanaryStatus) -> [Int] {
        status.history.filter { $0.phase == "progressing" || $0.phase == "promoted" }.map { Int($0.weight) }
    }

    static let quickPolicy = """
        canary: {stable: "1", candidate: "2", steps: [10, 40, 100], interval: 2s, min_calls: 20, max_error_rate: 0.05,
                 max_p99_ratio: 50}
        """
    static let fourStepPolicy = """
        canary: {stable: "1", candidate: "2", steps: [10, 30, 60, 100], interval: 3s, min_calls: 20, max_error_rate: 0.05,
                 max_p99_ratio: 50}
        """
    static let slowPolicy = """
        canary: {stable: "1", candidate: "2", steps: [10, 50, 100], interval: 1h, min_calls: 1000}
        """

    // MARK: 1. One rollout, every replica in step

    @Test func aRolloutMovesEveryReplicaTogetherToOnePromotion() async throws {
        let mesh = try await SharedMesh(policy: Self.quickPolicy)
        let timeline = StepTimeline()
        let (report, promoted) = try await Mesh.steadyLoad(
            ports: mesh.gateways.map(\.port), scratch: mesh.scratch, concurrency: 6
        ) { _ in
            try await Self.follow(mesh, timeline) { $0.phase == "promoted" }
        }
        report.attach("shared-rollout-promotion")
        let final = await mesh.statuses()
        #expect(promoted, "not promoted everywhere: \(final.mapValues { "\($0.phase) \($0.weight)" })")
        #expect(report.total.failures == 0, "\(report)")
        let spread = timeline.largestSpread(over: [0, 1, 2])
        #expect(spread.spread < .seconds(1), "replicas reached \(spread.step) \(spread.spread) apart; steps \(timeline.steps)")
        // Exactly one promotion: one replica (the leader) made it, every replica shows it once.
        var promotions = 0.0
        for gateway in mesh.gateways {
            let values = try #require(await MetricsScrape.values(port: gateway.metricsPort!))
            promotions += MetricsScrape.sum(values, "gateway_canary_transitions_total", ["model": "iris", "phase": "promoted"])
        }
        #expect(promotions == 1)
        for status in (await mesh.statuses()).values {
            #expect(status.history.filter { $0.phase == "promoted" }.count == 1)
            #expect(Self.stepWeights(status) == [10, 40, 100, 100], "\(status.history)")
        }
        await mesh.stop()
    }

    // MARK: 2. The leader gateway killed

    @Test func killingTheLeaderGatewayHandsTheRolloutOnAtTheSameStep() async throws {
        let mesh = try await SharedMesh(policy: Self.fourStepPolicy)
        let ports = mesh.gateways.map(\.port)
        let (report, outcome) = try await Mesh.steadyLoad(ports: ports, scratch: mesh.scratch, concurrency: 6) {
            load -> (killed: Int, takeover: Duration?, promoted: Bool) in
            let reached30 = try await mesh.waitUntilAll { $0.weight == 30 }
            let summary = await mesh.summary()
            #expect(reached30, "never reached 30%:\n\(summary)")
            let leader = try #require(await mesh.leaderIndex())
            let survivors = mesh.gateways.indices.filter { $0 != leader }
            try await load.phase("leader killed")
            await mesh.gateways[leader].kill9()
            let takeover = try await timeUntil(.seconds(15), every: .milliseconds(50)) {
                guard let next = await mesh.leaderIndex(among: survivors) else { return false }
                return next != leader
            }
            let promoted = try await mesh.waitUntilAll(survivors) { $0.phase == "promoted" }
            return (leader, takeover, promoted)
        }
        report.attach("shared-rollout-leader-killed")
        let takeover = try #require(outcome.takeover, "no new leader")
        // TTL + 1 s is the goal; the extra second is room for a loaded test machine.
        #expect(takeover < .seconds(SharedMesh.ttl + 2), "new leader after \(takeover)")
        #expect(outcome.promoted)
        for index in mesh.gateways.indices where index != outcome.killed {
            #expect(report.failures(throughPort: ports[index]) == 0, "\(report)")
            let status = try #require(await mesh.statuses([index])[index])
            // The rollout went on from 30%: no step repeated or skipped.
            #expect(Self.stepWeights(status) == [10, 30, 60, 100, 100], "\(status.history)")
        }
        print("shared rollouts: new leader \(takeover) after kill -9 of the leader (TTL \(SharedMesh.ttl) s)")
        await mesh.stop()
    }

    // MARK: 3. The leader paused past its lease

    @Test func aPausedLeaderIsReplacedAndFollowsWhenItResumes() async throws {
        let mesh = try await SharedMesh(policy: Self.fourStepPolicy)
        let ports = mesh.gateways.map(\.port)
        let (report, outcome) = try await Mesh.steadyLoad(ports: ports, scratch: mesh.scratch, concurrency: 6) {
            load -> (paused: Int, next: Int?, follows: Bool, promoted: Bool) in
            let reached30 = try await mesh.waitUntilAll { $0.weight == 30 }
            let summary = await mesh.summary()
            #expect(reached30, "never reached 30%:\n\(summary)")
            let leader = try #require(await mesh.leaderIndex())
            let others = mesh.gateways.indices.filter { $0 != leader }
            try await load.phase("leader stopped")
            mesh.gateways[leader].send(SIGSTOP)
            var next: Int?
            _ = try await timeUntil(.seconds(15), every: .milliseconds(100)) {
                next = await mesh.leaderIndex(among: others)
                return next != nil && next != leader
            }
            try await Task.sleep(for: .seconds(1))
            mesh.gateways[leader].send(SIGCONT)
            try await load.phase("leader resumed")
            let follows = try await timeUntil(.seconds(10), every: .milliseconds(100)) {
                guard let status = await mesh.statuses([leader])[leader], let next else { return false }
                return status.leader.contains("-\(mesh.gateways[next].processIdentifier)-")
                    && status.coordination.hasPrefix("following")
            }
            let promoted = try await mesh.waitUntilAll { $0.phase == "promoted" }
            return (leader, next, follows != nil, promoted)
        }
        report.attach("shared-rollout-leader-stopped")
        #expect(outcome.next != nil && outcome.next != outcome.paused, "no other leader while the leader was stopped")
        #expect(outcome.follows, "the resumed old leader does not follow the new one")
        #expect(outcome.promoted)
        for (index, status) in await mesh.statuses() {
            #expect(Self.stepWeights(status) == [10, 30, 60, 100, 100], "gateway \(index): \(status.history)")
            if index != outcome.paused { #expect(report.failures(throughPort: ports[index]) == 0, "\(report)") }
        }
        let values = try #require(await MetricsScrape.values(port: mesh.gateways[outcome.paused].metricsPort!))
        #expect(MetricsScrape.sum(values, "gateway_coordination_leader") == 0)
        await mesh.stop()
    }

    // MARK: 4. A breach only the merged traffic shows

    @Test func errorsSpreadThinOverReplicasStillRollBackEveryReplica() async throws {
        // min_calls 30, and each gateway sees 12 candidate calls: only the sum reaches it.
        let mesh = try await SharedMesh(
            policy: """
                canary: {stable: "1", candidate: "2", steps: [10, 50, 100], interval: 1h, min_calls: 30, max_error_rate: 0.05}
                """, brokenCandidate: true)
        // A replica's measurements start when it applies the leader's record: wait until all
        // three report against it, so that none of the calls below fall before their window.
        let following = try await timeUntil(.seconds(20), every: .milliseconds(100)) {
            await mesh.statuses().values.contains { $0.lastDecision.contains("(3 replicas reporting") }
        }
        #expect(following != nil, "the leader never had three replicas' reports")
        for gateway in mesh.gateways {
            for version in ["1", "2"] {
                _ = try await PythonPeer.json("gateway_checks.py", ["explicit", String(gateway.port), version, "12"])
            }
        }
        let rolledBack = try await mesh.waitUntilAll(within: .seconds(15)) { $0.phase == "rolled_back" && $0.weight == 0 }
        let statuses = await mesh.statuses()
        let summary = await mesh.summary()
        #expect(rolledBack, "\(summary)")
        for status in statuses.values {
            let reason = status.history.last?.reason ?? ""
            #expect(
                reason.contains("error rate") && reason.contains("3 replicas reporting, candidate calls 12+12+12"), "\(reason)")
        }
        await mesh.stop()
    }

    // MARK: 5. An operator action sent to one replica

    @Test func anAbortSentToOneReplicaReachesEveryReplicaWithinASecond() async throws {
        let mesh = try await SharedMesh(policy: Self.slowPolicy)
        #expect(try await mesh.waitUntilAll(within: .seconds(15)) { $0.weight == 10 && !$0.leader.isEmpty })
        let leader = await mesh.leaderIndex()
        let target = mesh.gateways.indices.first { $0 != leader } ?? 0
        let sent = ContinuousClock.now
        let answer = try await mesh.probes[target].act(.abort)
        #expect(answer.phase == "aborted" && answer.weight == 0)
        let everywhere = try await timeUntil(.seconds(5), every: .milliseconds(20)) {
            let statuses = await mesh.statuses()
            return statuses.count == 3 && statuses.values.allSatisfy { $0.phase == "aborted" && $0.weight == 0 }
        }
        let lag = try #require(everywhere.map { _ in ContinuousClock.now - sent }, "not aborted everywhere")
        #expect(lag < .seconds(1), "aborted everywhere after \(lag)")
        await mesh.stop()
    }

    // MARK: 6. A replica started mid-rollout

    @Test func aGatewayStartedMidRolloutServesTheCurrentWeightFromItsFirstCall() async throws {
        let mesh = try await SharedMesh(policy: Self.slowPolicy)
        #expect(try await mesh.waitUntilAll(within: .seconds(15)) { $0.weight == 10 })
        _ = try await mesh.probes[0].act(.setWeight, weight: 40)
        #expect(try await mesh.waitUntilAll(within: .seconds(5)) { $0.weight == 40 })
        let fourth = try await mesh.addGateway()
        let first = try #require(await mesh.statuses([fourth])[fourth])
        #expect(first.weight == 40 && first.phase == "paused", "\(first.phase) \(first.weight)")
        let result = try await PythonPeer.json(
            "gateway_checks.py", ["versions", String(mesh.gateways[fourth].port), "400"])
        let versions = result["versions"] as? [String: Int] ?? [:]
        let share = Double(versions["2"] ?? 0) / Double(max(1, versions.values.reduce(0, +)))
        #expect((0.25...0.55).contains(share), "v2 share \(share) of \(versions)")
        await mesh.stop()
    }

    // MARK: 7. etcd member loss and a full etcd outage

    @Test func theRolloutSurvivesEtcdLeaderLossAndWaitsOutAFullOutage() async throws {
        let mesh = try await SharedMesh(policy: Self.fourStepPolicy)
        let (report, outcome) = try await Mesh.steadyLoad(
            ports: mesh.gateways.map(\.port), scratch: mesh.scratch, concurrency: 6
        ) { load -> (continued: Bool, held: Bool, saidWhy: Bool, promoted: Bool) in
            let reached30 = try await mesh.waitUntilAll { $0.weight == 30 }
            let summary = await mesh.summary()
            #expect(reached30, "never reached 30%:\n\(summary)")
            let member = try await mesh.etcd.leaderIndex()
            try await load.phase("etcd leader killed")
            await mesh.etcd.kill(member: member)
            let continued = try await mesh.waitUntilAll { $0.weight >= 60 }
            try mesh.etcd.start(member: member)
            let weight = (await mesh.statuses()).values.map(\.weight).max() ?? 0
            try await load.phase("etcd down")
            await mesh.etcd.stopAll()
            // Longer than two step intervals: nothing may advance while etcd is away.
            try await Task.sleep(for: .seconds(7))
            let during = await mesh.statuses()
            let held = during.count == 3 && during.values.allSatisfy { $0.weight == weight || $0.phase == "promoted" }
            let saidWhy = during.values.allSatisfy { $0.coordination.contains("etcd unreachable") }
            try await load.phase("etcd back")
            try mesh.etcd.startAll()
            let promoted = try await mesh.waitUntilAll(within: .seconds(90)) { $0.phase == "promoted" }
            return (continued, held, saidWhy, promoted)
        }
        report.attach("shared-rollout-etcd-faults")
        #expect(outcome.continued, "the rollout stopped after the etcd leader was killed")
        #expect(outcome.held, "a step advanced while etcd was down")
        #expect(outcome.saidWhy, "the status did not say etcd is unreachable")
        #expect(outcome.promoted, "the rollout did not resume when etcd came back")
        #expect(report.total.failures == 0, "\(report)")
        #expect(report["etcd down"].calls > 50, "\(report)")
        await mesh.stop()
    }

    // MARK: 7b. Cut off from etcd, only the safe direction

    @Test func aReplicaCutOffFromEtcdRollsItsOwnTrafficBackAndReportsIt() async throws {
        let mesh = try await SharedMesh(
            policy: """
                canary: {stable: "1", candidate: "2", steps: [10, 50, 100], interval: 1h, min_calls: 10, max_error_rate: 0.05}
                """, brokenCandidate: true)
        #expect(try await mesh.waitUntilAll(within: .seconds(15)) { $0.weight == 10 && !$0.leader.isEmpty })
        await mesh.etcd.stopAll()
        #expect(try await mesh.waitUntilAll(within: .seconds(15)) { $0.coordination.contains("etcd unreachable") })
        // Only gateway 0 sees the broken candidate: it alone moves its traffic back to stable.
        _ = try await PythonPeer.json("gateway_checks.py", ["explicit", String(mesh.gateways[0].port), "2", "12"])
        #expect(try await mesh.waitUntilAll([0], within: .seconds(10)) { $0.phase == "rolled_back" && $0.weight == 0 })
        let others = await mesh.statuses([1, 2])
        let during = await mesh.summary()
        #expect(others.values.allSatisfy { $0.phase == "progressing" && $0.weight == 10 }, "\(during)")
        // etcd back: the rollback is reported and every replica follows it.
        try mesh.etcd.startAll()
        let everywhere = try await mesh.waitUntilAll(within: .seconds(30)) { $0.phase == "rolled_back" && $0.weight == 0 }
        let summary = await mesh.summary()
        #expect(everywhere, "\(summary)")
        await mesh.stop()
    }

    // MARK: 8. Hints from every replica's concurrency

    @Test func everyReplicaExportsTheHintFromTheSummedConcurrency() async throws {
        let mesh = try await SharedMesh(
            policy: """
                canary: {stable: "1", candidate: "2", steps: [10, 50, 100], interval: 1h, min_calls: 1000}
                autoscaling: {target_concurrency: 0.5, min_replicas: 1, max_replicas: 20, stable_window: 6s, panic_window: 2s}
                """)
        let etcd = try mesh.etcd.client()
        let keys = RolloutKeys(prefix: mesh.prefix)
        let (_, checked) = try await Mesh.steadyLoad(ports: mesh.gateways.map(\.port), scratch: mesh.scratch, concurrency: 6) {
            _ -> (agree: Bool, record: ClusterHints?, shares: Double) in
            try await Task.sleep(for: .seconds(7))
            var record: ClusterHints?
            var shares = 0.0
            var agree = false
            _ = try await timeUntil(.seconds(20), every: .milliseconds(200)) {
                let (value, _) = try await etcd.get(keys.hints)
                guard let value, let hints = try? RecordCoding.decode(ClusterHints.self, from: value.value) else { return false }
                record = hints
                let (reports, _) = try await etcd.getPrefix(keys.reports)
                shares = reports.compactMap { try? RecordCoding.decode(ReplicaReport.self, from: $0.value) }
                    .compactMap { $0.models["iris"]?.concurrency["1"]?.stable }.reduce(0, +)
                var exported: [Double] = []
                for gateway in mesh.gateways {
                    guard let values = await MetricsScrape.values(port: gateway.metricsPort!) else { return false }
                    exported.append(MetricsScrape.sum(values, "gateway_desired_replicas", ["model": "iris", "version": "1"]))
                }
                let desired = Double(hints.models["iris"]?["1"]?.desiredReplicas ?? -1)
                agree = exported.allSatisfy { $0 == desired }
                return agree
            }
            return (agree, record, shares)
        }
        let hint = try #require(checked.record?.models["iris"]?["1"])
        #expect(checked.agree, "the gateways export different desired replicas than the shared hint \(hint)")
        #expect(checked.record?.replicas == 3)
        // The leader's stable concurrency is the sum of the replicas' shares (measured a moment apart).
        #expect(abs(hint.stableConcurrency - checked.shares) <= max(0.5, 0.3 * checked.shares), "\(hint) vs \(checked.shares)")
        // One rule on the sum: ceil(sum / target), as one gateway carrying all the calls would say.
        let fromSum = Int((hint.stableConcurrency / 0.5).rounded(.up))
        #expect(hint.inPanic || hint.desiredReplicas == min(20, max(1, fromSum)), "\(hint)")
        await etcd.close()
        await mesh.stop()
    }
}

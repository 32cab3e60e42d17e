import AdminAPI
import Foundation
import Gateway
import Routing
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Faults injected while steady load runs through a real gateway to real model-workers, each
/// with the count of failed calls asserted (issue 9). The load peer counts calls by the phase
/// that was in effect when they started, so each assertion covers exactly the calls it means.
@Suite("faults under steady load", .serialized)
struct FaultsUnderLoadTests {
    /// Two replicas of `iris` version 1 behind one gateway.
    struct TwoReplicas {
        let scratch: GatewayScratch
        let repository: String
        let first: ServiceProcess
        let second: ServiceProcess
        let gateway: ServiceProcess
        let admin: AdminProbe

        init(gatewayArguments: [String] = []) async throws {
            scratch = try GatewayScratch()
            repository = try scratch.repository("v1", version: 1)
            first = try await Mesh.replica(repository)
            second = try await Mesh.replica(repository)
            try scratch.writeRoutes(
                """
                models:
                  iris:
                    versions:
                      "1": {endpoints: ["127.0.0.1:\(first.port)", "127.0.0.1:\(second.port)"]}
                """)
            gateway = try await Mesh.gateway(scratch, extra: gatewayArguments)
            admin = AdminProbe(gateway: gateway)
        }

        /// Waits until the replica on `port` is ready at the gateway and `replica` has answered
        /// `calls` ModelInfer calls of the load; nil when it does, else what the gateway and the
        /// replica say after `limit`.
        func takesTraffic(
            _ replica: ServiceProcess, calls: Double = 20, within limit: Duration = .seconds(20)
        ) async throws -> String? {
            let took = try await timeUntil(limit) {
                guard try await admin.state(ofPort: replica.port) == "ready" else { return false }
                return await MetricsScrape.inferCalls(replica) ?? 0 >= calls
            }
            guard took == nil else { return nil }
            let status = try await admin.endpoints().first { $0.address.hasSuffix(":\(replica.port)") }
            let answered = await MetricsScrape.inferCalls(replica)
            return
                "after \(limit): \(status.map { "\($0)" } ?? "no endpoint"), \(answered.map { "\($0)" } ?? "no metrics") calls answered"
        }

        func stop() async {
            await admin.close()
            #expect(await gateway.terminate() == 0)
            for replica in [first, second] where replica.isRunning { _ = await replica.terminate() }
        }
    }

    /// One failed call ejects a replica here, so a replica that went away is ejected when it
    /// comes back, and being taken back needs the health checks' re-admission.
    static let ejectAtOnce = ["--eject-after-failures", "1"]

    @Test func rollingRestartOfOneReplicaLosesNoCall() async throws {
        let mesh = try await TwoReplicas(gatewayArguments: Self.ejectAtOnce)
        let second = mesh.second
        let (report, restarted) = try await Mesh.steadyLoad(gateway: mesh.gateway, scratch: mesh.scratch) { load in
            try await load.phase("both")
            let before = try await mesh.takesTraffic(second)
            #expect(before == nil, "the second replica never took traffic: \(before ?? "")")
            // SIGTERM: the replica sends GOAWAY, finishes what it started and exits 0.
            try await load.phase("draining")
            #expect(await second.terminate() == 0)
            try await load.phase("down")
            try await Task.sleep(for: .milliseconds(500))
            // The routes name host:port, so the replacement must come back on the same port.
            let restarted = try await Mesh.replica(mesh.repository, port: second.port)
            try await load.phase("restarted")
            let readmitted = try await mesh.takesTraffic(restarted)
            #expect(readmitted == nil, "the restarted replica was not re-admitted: \(readmitted ?? "")")
            try await load.phase("after")
            try await Task.sleep(for: .milliseconds(500))
            return restarted
        }
        report.attach("rolling-restart")
        #expect(report.total.calls > 200, "\(report)")
        #expect(report.total.failures == 0, "\(report)")
        #expect(report["after"].calls > 0, "\(report)")
        _ = await restarted.terminate()
        await mesh.stop()
    }

    @Test func killedReplicaIsDrainedWithinTwoSecondsAndReadmitted() async throws {
        let mesh = try await TwoReplicas(gatewayArguments: Self.ejectAtOnce)
        let second = mesh.second
        let concurrency = 4
        let (report, (outAfter, restarted)) = try await Mesh.steadyLoad(
            gateway: mesh.gateway, scratch: mesh.scratch, concurrency: concurrency
        ) { load in
            try await load.phase("both")
            let before = try await mesh.takesTraffic(second)
            #expect(before == nil, "the second replica never took traffic: \(before ?? "")")
            try await load.phase("killed")
            let killedAt = ContinuousClock.now
            await second.kill9()
            // The gateway stops choosing the dead replica: ejected after failed calls, or not
            // serving after a refused health probe.
            let outAfter = try await timeUntil(.seconds(10)) { try await mesh.admin.state(ofPort: second.port) != "ready" }
            // From 2 s after the kill every call must succeed on the survivor (the dead
            // replica answers nothing, so every success is the survivor's).
            try await Task.sleep(until: killedAt + .seconds(2))
            try await load.phase("survivor")
            try await Task.sleep(for: .seconds(1))
            let restarted = try await Mesh.replica(mesh.repository, port: second.port)
            try await load.phase("restarted")
            let state = try await mesh.admin.state(ofPort: second.port) ?? "gone"
            let readmitted = try await mesh.takesTraffic(restarted)
            #expect(readmitted == nil, "the restarted replica was not re-admitted (\(state) at its start): \(readmitted ?? "")")
            try await load.phase("after")
            try await Task.sleep(for: .milliseconds(500))
            return (outAfter, restarted)
        }
        report.attach("kill-9")
        let calls = report.total.calls
        // A killed process takes the calls it was serving with it: those already sent to it fail
        // (at most one per load client, since each client has one call in flight), while calls
        // not yet begun on it are retried on the survivor. 0.1% of the run is below one call at
        // this length, so the in-flight count is the bound.
        let allowed = max(concurrency, calls / 1000)
        #expect(report.total.failures <= allowed, "\(report)")
        #expect(report["killed"].failures <= allowed, "\(report)")
        #expect(report["survivor"].calls > 0 && report["survivor"].failures == 0, "\(report)")
        #expect(report["restarted"].failures == 0 && report["after"].failures == 0, "\(report)")
        let out = try #require(outAfter, "the killed replica still counts as ready after 10 s")
        #expect(out < .seconds(2), "the killed replica was taken out after \(out)")
        _ = await restarted.terminate()
        await mesh.stop()
    }

    @Test func hungReplicaIsEjectedAndTheOtherServesEveryCall() async throws {
        let mesh = try await TwoReplicas()
        let second = mesh.second
        // A 2 s deadline per call: short enough to find the hang within a few seconds, long
        // enough that neither the healthy replica nor the Python load client, starved on a
        // loaded 2-core machine, misses it (1 s did once, in the calls after the ejection).
        let (report, ejectedAfter) = try await Mesh.steadyLoad(
            gateway: mesh.gateway, scratch: mesh.scratch, timeoutMilliseconds: 2000
        ) { load in
            try await load.phase("both")
            let before = try await mesh.takesTraffic(second)
            #expect(before == nil, "the second replica never took traffic: \(before ?? "")")
            try await load.phase("hung")
            second.send(SIGSTOP)
            let ejected = try await timeUntil(.seconds(15)) {
                let state = try await mesh.admin.state(ofPort: second.port)
                return state == "ejected" || state == "not_serving"
            }
            // Calls begun before the ejection may still be waiting on the hung replica; the
            // next phase starts once those have hit their deadline.
            try await Task.sleep(for: .milliseconds(2100))
            try await load.phase("ejected")
            try await Task.sleep(for: .seconds(1.5))
            try await load.phase("end")
            second.send(SIGCONT)
            return ejected
        }
        report.attach("sigstop")
        second.send(SIGCONT)
        let ejected = try #require(ejectedAfter, "the hung replica was never ejected: \(report)")
        // Calls the gateway sent to the hung replica end at the caller's deadline
        // (DEADLINE_EXCEEDED is not retried: the replica may have started on them). Some of
        // them may have begun just before the SIGSTOP, in the first phase.
        #expect(report["hung"].failures > 0, "no call reached the hung replica: \(report)")
        #expect(report.total.errors.keys.allSatisfy { $0.hasPrefix("StatusCode.DEADLINE_EXCEEDED") }, "\(report)")
        #expect(report["ejected"].calls > 0 && report["ejected"].failures == 0, "\(report)")
        #expect(ejected < .seconds(10), "ejected after \(ejected)")
        await mesh.stop()
    }

    @Test func canaryPromotedUnderLoadLosesNoCall() async throws {
        let scratch = try GatewayScratch()
        // Both versions run the same model, so the analysis judges the rollout, not the models.
        let model = try Data(contentsOf: URL(fileURLWithPath: GatewayScratch.exampleModel(1)))
        let v1 = try await Mesh.replica(try scratch.repository("v1", version: 1, modelBytes: model))
        let v2 = try await Mesh.replica(try scratch.repository("v2", version: 2, modelBytes: model))
        try scratch.writeTwoVersionRoutes(
            v1, v2,
            policy: """
                canary: {stable: "1", candidate: "2", steps: [25, 50, 100], interval: 1s, min_calls: 10,
                         max_error_rate: 0.05, max_p99_ratio: 50, fallback: true}
                """)
        let gateway = try await Mesh.gateway(scratch)
        let admin = AdminProbe(gateway: gateway)
        let (report, promotedAfter) = try await Mesh.steadyLoad(gateway: gateway, scratch: scratch) { load in
            try await load.phase("rollout")
            let promoted = try await timeUntil(.seconds(30)) { try await admin.canary()?.phase == "promoted" }
            try await load.phase("promoted")
            try await Task.sleep(for: .seconds(1))
            return promoted
        }
        report.attach("canary-promote")
        let canary = try #require(try await admin.canary())
        #expect(promotedAfter != nil, "not promoted after 30 s: \(canary.phase) at \(canary.weight)%, \(canary.lastDecision)")
        #expect(canary.history.map(\.weight).contains(50), "\(canary.history)")
        #expect(report.total.failures == 0, "\(report)")
        #expect(report["rollout"].versions["1"] ?? 0 > 0 && report["rollout"].versions["2"] ?? 0 > 0, "\(report)")
        // Once promoted, every call goes to the candidate.
        let after = report["promoted"]
        #expect(after.calls > 0 && after.versions == ["2": after.calls], "\(report)")
        let weights = try await admin.routes().routes.first?.versions.reduce(into: [String: Double]()) {
            $0[$1.version] = $1.weight
        }
        #expect(weights == ["1": 0, "2": 100])
        await admin.close()
        #expect(await gateway.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }

    @Test func canaryAbortedThroughTheAdminServiceUnderLoadLosesNoCall() async throws {
        let scratch = try GatewayScratch()
        let v1 = try await Mesh.replica(try scratch.repository("v1", version: 1))
        let v2 = try await Mesh.replica(try scratch.repository("v2", version: 2))
        try scratch.writeTwoVersionRoutes(
            v1, v2,
            policy: "canary: {stable: \"1\", candidate: \"2\", steps: [50, 100], interval: 1h, min_calls: 1000, fallback: true}")
        let gateway = try await Mesh.gateway(scratch)
        let admin = AdminProbe(gateway: gateway)
        let (report, aborted) = try await Mesh.steadyLoad(gateway: gateway, scratch: scratch) { load in
            try await load.phase("split")
            try await Task.sleep(for: .seconds(1))
            let aborted = try await admin.act(.abort)
            try await load.phase("aborted")
            try await Task.sleep(for: .seconds(1))
            return aborted
        }
        report.attach("canary-abort")
        #expect(aborted.phase == "aborted" && aborted.weight == 0, "\(aborted)")
        #expect(report.total.failures == 0, "\(report)")
        let split = report["split"]
        #expect(split.versions["1"] ?? 0 > 0 && split.versions["2"] ?? 0 > 0, "\(report)")
        let after = report["aborted"]
        #expect(after.calls > 0 && after.versions == ["1": after.calls], "\(report)")
        let saved = try scratch.savedCanary("iris")
        #expect((saved?["phase"] as? [String: Any])?["name"] as? String == "aborted", "\(saved ?? [:])")
        await admin.close()
        #expect(await gateway.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }

    @Test func restartedGatewayRestoresTheCanaryFromItsStateFile() async throws {
        let scratch = try GatewayScratch()
        let model = try Data(contentsOf: URL(fileURLWithPath: GatewayScratch.exampleModel(1)))
        let v1 = try await Mesh.replica(try scratch.repository("v1", version: 1, modelBytes: model))
        let v2 = try await Mesh.replica(try scratch.repository("v2", version: 2, modelBytes: model))
        try scratch.writeTwoVersionRoutes(
            v1, v2,
            policy: """
                canary: {stable: "1", candidate: "2", steps: [20, 60, 100], interval: 2s, min_calls: 10,
                         max_error_rate: 0.05, max_p99_ratio: 50}
                """)
        let first = try await Mesh.gateway(scratch)
        let port = first.port
        let (report, (before, restored, restarted)) = try await Mesh.steadyLoad(gateway: first, scratch: scratch) { load in
            try await load.phase("first")
            // Let the analysis take one step under load, then hold it there so the state to
            // restore does not move on by itself.
            let admin = AdminProbe(gateway: first)
            let stepped = try await timeUntil(.seconds(30), every: .milliseconds(20)) { try await admin.canary()?.weight == 60 }
            #expect(stepped != nil, "the canary never reached its second step")
            let before = try await admin.act(.pause)
            await admin.close()

            try await load.phase("restarting")
            #expect(await first.terminate() == 0)
            let restarted = try await Mesh.gateway(scratch, port: port)
            let again = AdminProbe(gateway: restarted)
            let restored = try await again.canary()
            await again.close()
            // Clients reconnect with their own backoff; judge the calls made once each got through.
            #expect(try await load.waitUntilEveryClientSucceeds(3, within: .seconds(20)), "the load did not resume")
            try await load.phase("after")
            try await Task.sleep(for: .seconds(1))
            return (before, restored, restarted)
        }
        report.attach("gateway-restart")
        let state = try #require(restored)
        #expect(before.phase == "paused" && before.weight == 60, "\(before)")
        #expect(state.phase == before.phase, "\(state.phase) after the restart, \(before.phase) before")
        #expect(state.weight == before.weight && state.stepIndex == before.stepIndex)
        // The state file keeps milliseconds; the live state had finer time.
        #expect(abs(state.stepStartedUnixMilliseconds - before.stepStartedUnixMilliseconds) <= 1)
        #expect(state.history.count == before.history.count, "\(state.history)")
        let after = report["after"]
        #expect(after.calls > 0 && after.failures == 0, "\(report)")
        #expect(after.versions["1"] ?? 0 > 0 && after.versions["2"] ?? 0 > 0, "a 40/60 split: \(report)")
        #expect(report["first"].failures == 0, "\(report)")
        #expect(await restarted.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }
}

@Suite("re-admission of a replica back from not serving")
struct ReadmissionTests {
    @Test func readmittedReplicaLeavesItsEjectionBehind() throws {
        let configuration = EndpointBalancerConfiguration(consecutiveFailuresToEject: 1, baseEjectionTime: .seconds(30))
        let set = EndpointSet(
            endpoints: [.hostPort(host: "127.0.0.1", port: 1), .hostPort(host: "127.0.0.1", port: 2)],
            configuration: configuration, clock: SystemRoutingClock())
        let gone = Upstream(host: "127.0.0.1", port: 2)
        var generator = SystemRandomNumberGenerator()
        // Fail one call on the second replica, which ejects it.
        while true {
            let chosen: Upstream = try #require(set.balancer.begin(random: &generator)?.endpoint)
            if chosen == gone { break }
            set.balancer.end(chosen, outcome: .success)
        }
        set.balancer.end(gone, outcome: .failure)
        set.balancer.setReady(gone, false)
        #expect(set.usableCount == 1)

        set.balancer.setReady(gone, true)
        let status = try #require(set.balancer.statuses().first { $0.endpoint == gone })
        #expect(status.ejectedFor == nil && status.consecutiveFailures == 0 && status.ready)
        #expect(set.usableCount == 2)
        #expect(set.upstreams == [Upstream(host: "127.0.0.1", port: 1), gone], "the order is kept")
    }
}

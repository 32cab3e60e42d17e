import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Fault sequences against the replicas of one version while steady load runs through a real
/// gateway (issue 16): faults close together, in the orders that used to leave a version with
/// no usable replica although one could serve. Health checks run at the gateway's default
/// interval (2 s), so these sequences do not lean on fast probes. Each phase's failed calls are
/// asserted: none in the graceful steps, at most the calls in flight on a killed process (one
/// per load client) after a `kill -9`, and never the gateway's own "no replica" answer.
@Suite("failover matrix under steady load", .serialized)
struct FailoverMatrixTests {
    static let concurrency = 4

    /// `count` replicas of `iris` version 1, each with its own repository, behind one gateway.
    final class Replicas: @unchecked Sendable {
        let scratch: GatewayScratch
        let repositories: [String]
        var processes: [ServiceProcess]
        let gateway: ServiceProcess
        let admin: AdminProbe

        init(count: Int, workerArguments: [String] = []) async throws {
            let scratch = try GatewayScratch()
            self.scratch = scratch
            repositories = try (0..<count).map { try scratch.repository("r\($0)", version: 1) }
            var processes: [ServiceProcess] = []
            for repository in repositories { processes.append(try await Mesh.replica(repository, extra: workerArguments)) }
            self.processes = processes
            let endpoints = processes.map { "\"127.0.0.1:\($0.port)\"" }.joined(separator: ", ")
            try scratch.writeRoutes(
                """
                models:
                  iris:
                    versions:
                      "1": {endpoints: [\(endpoints)]}
                """)
            gateway = try await Mesh.gateway(scratch, healthCheckIntervalMs: 2000, readingMetricsPort: true)
            admin = AdminProbe(gateway: gateway)
        }

        subscript(index: Int) -> ServiceProcess { processes[index] }

        /// Starts replica `index` again on its port (after it exited or was killed).
        func restart(_ index: Int, workerArguments: [String] = []) async throws {
            processes[index] = try await Mesh.replica(repositories[index], port: processes[index].port, extra: workerArguments)
        }

        /// Waits until replica `index` is ready at the gateway and has answered 20 calls of the
        /// load; nil when it has, else what the gateway says.
        func takesTraffic(_ index: Int, within limit: Duration = .seconds(20)) async throws -> String? {
            let replica = processes[index]
            let started = await MetricsScrape.inferCalls(replica) ?? 0
            let took = try await timeUntil(limit) {
                guard try await admin.state(ofPort: replica.port) == "ready" else { return false }
                return await MetricsScrape.inferCalls(replica) ?? 0 >= started + 20
            }
            guard took == nil else { return nil }
            let status = try await admin.endpoints().first { $0.address.hasSuffix(":\(replica.port)") }
            return "replica \(index) after \(limit): \(status.map { "\($0)" } ?? "no endpoint")"
        }

        func stop() async {
            await admin.close()
            #expect(await gateway.terminate() == 0)
            for replica in processes where replica.isRunning {
                replica.send(SIGCONT)
                _ = await replica.terminate()
            }
        }
    }

    /// The gateway's own "no replica" answer, which must never reach a caller while a replica
    /// passes health checks (here: never, as in each sequence some replica serves or none does).
    static func gatewayGaveUp(_ report: LoadReport) -> [String] {
        report.total.errors.keys.filter { $0.contains("no ready replica") || $0.contains("no replica for") }
    }

    static func expectFewFailures(_ report: LoadReport, _ phase: String, _ comment: String) {
        #expect(report[phase].failures <= concurrency, "\(comment): \(report)")
    }

    /// No failed call in `phases`, except calls in flight on a process killed at one of
    /// `killed` (host:port): a call begun in the phase before a kill may still be on the process
    /// when it dies, and those are bounded by `expectFewFailures` on the kill's own phase.
    static func expectNoFailures(_ report: LoadReport, _ phases: [String], sparing killed: [String] = [], _ comment: String) {
        for phase in phases {
            let failures = report[phase].errors.filter { error, _ in
                !killed.contains { error.contains("connection to \($0) ") }
            }
            #expect(failures.isEmpty, "\(comment), phase \(phase): \(report)")
        }
    }

    /// Calls in flight on the killed process at `address` fail with it: at most one per client.
    static func expectInFlightLoss(_ report: LoadReport, killed address: String, _ comment: String) {
        let lost = report.total.errors.filter { $0.key.contains("connection to \(address) ") }.values.reduce(0, +)
        #expect(lost <= concurrency, "\(comment): \(report)")
    }

    static func address(_ process: ServiceProcess) -> String { "127.0.0.1:\(process.port)" }

    /// 1. A graceful restart of A, then `kill -9` of B 1, 3 or 5 s after A listens again.
    @Test(arguments: [1, 3, 5])
    func gracefulRestartThenKillOfTheOther(secondsLater: Int) async throws {
        let mesh = try await Replicas(count: 2)
        let (report, _) = try await Mesh.steadyLoad(gateway: mesh.gateway, scratch: mesh.scratch, concurrency: Self.concurrency) {
            load in
            try await load.phase("steady")
            #expect(try await mesh.takesTraffic(1) == nil)
            try await load.phase("a-draining")
            #expect(await mesh[0].terminate() == 0)
            try await load.phase("a-down")
            try await mesh.restart(0)
            try await load.phase("a-back")
            try await Task.sleep(for: .seconds(secondsLater))
            try await load.phase("b-killed")
            await mesh[1].kill9()
            try await Task.sleep(for: .seconds(2))
            try await load.phase("b-down")
            try await Task.sleep(for: .seconds(1))
            try await mesh.restart(1)
            try await load.phase("b-back")
            #expect(try await mesh.takesTraffic(1) == nil)
        }
        report.attach("failover-graceful-then-kill-\(secondsLater)s")
        let b = Self.address(mesh[1])
        Self.expectNoFailures(
            report, ["steady", "a-draining", "a-down", "a-back", "b-down", "b-back"], sparing: [b],
            "graceful, kill \(secondsLater) s later")
        Self.expectFewFailures(report, "b-killed", "graceful, kill \(secondsLater) s later")
        Self.expectInFlightLoss(report, killed: b, "graceful, kill \(secondsLater) s later")
        #expect(Self.gatewayGaveUp(report).isEmpty, "\(report)")
        await mesh.stop()
    }

    /// 2. `kill -9` of A, A started again, and `kill -9` of B as soon as A listens.
    @Test func killRestartThenKillOfTheOther() async throws {
        let mesh = try await Replicas(count: 2)
        let (report, _) = try await Mesh.steadyLoad(gateway: mesh.gateway, scratch: mesh.scratch, concurrency: Self.concurrency) {
            load in
            try await load.phase("steady")
            #expect(try await mesh.takesTraffic(1) == nil)
            try await load.phase("a-killed")
            await mesh[0].kill9()
            try await Task.sleep(for: .seconds(1.5))
            try await mesh.restart(0)
            try await load.phase("b-killed")
            await mesh[1].kill9()
            try await Task.sleep(for: .seconds(2))
            try await load.phase("a-alone")
            try await Task.sleep(for: .seconds(1))
            try await mesh.restart(1)
            try await load.phase("b-back")
            #expect(try await mesh.takesTraffic(1) == nil)
        }
        report.attach("failover-kill-restart-kill")
        let killed = [Self.address(mesh[0]), Self.address(mesh[1])]
        Self.expectNoFailures(report, ["steady", "a-alone", "b-back"], sparing: killed, "kill, restart, kill")
        for address in killed { Self.expectInFlightLoss(report, killed: address, "kill, restart, kill") }
        Self.expectFewFailures(report, "a-killed", "kill, restart, kill")
        Self.expectFewFailures(report, "b-killed", "kill, restart, kill")
        #expect(Self.gatewayGaveUp(report).isEmpty, "\(report)")
        await mesh.stop()
    }

    /// 3. A rolling restart of all three replicas in turn, each back in service before the next
    /// goes (a Deployment rollout with `maxUnavailable: 0`).
    @Test func rollingRestartOfThreeReplicas() async throws {
        let mesh = try await Replicas(count: 3)
        let (report, _) = try await Mesh.steadyLoad(gateway: mesh.gateway, scratch: mesh.scratch, concurrency: Self.concurrency) {
            load in
            try await load.phase("steady")
            for index in 0..<3 { #expect(try await mesh.takesTraffic(index) == nil) }
            for index in 0..<3 {
                try await load.phase("restart-\(index)")
                #expect(await mesh[index].terminate() == 0)
                try await mesh.restart(index)
                #expect(try await mesh.takesTraffic(index) == nil)
            }
            try await load.phase("after")
            try await Task.sleep(for: .seconds(1))
        }
        report.attach("failover-rolling-restart")
        #expect(report.total.failures == 0, "\(report)")
        #expect(report["after"].calls > 0, "\(report)")
        await mesh.stop()
    }

    /// 4. A hangs (SIGSTOP) with its connections open, then B is killed; A resumes, B returns.
    @Test func hungReplicaThenKillOfTheOther() async throws {
        let mesh = try await Replicas(count: 2)
        let (report, _) = try await Mesh.steadyLoad(
            gateway: mesh.gateway, scratch: mesh.scratch, concurrency: Self.concurrency, timeoutMilliseconds: 2000
        ) { load in
            try await load.phase("steady")
            #expect(try await mesh.takesTraffic(1) == nil)
            try await load.phase("a-hung")
            mesh[0].send(SIGSTOP)
            let out = try await timeUntil(.seconds(15)) { try await mesh.admin.state(ofPort: mesh[0].port) != "ready" }
            #expect(out != nil, "the hung replica stayed ready")
            // Calls sent to A before it was taken out end at their 2 s deadline.
            try await Task.sleep(for: .milliseconds(2100))
            try await load.phase("a-out")
            try await Task.sleep(for: .seconds(1.5))
            try await load.phase("b-killed")
            await mesh[1].kill9()
            // Nothing can serve now: A hangs, B is gone.
            try await Task.sleep(for: .seconds(1))
            try await load.phase("a-resumed")
            mesh[0].send(SIGCONT)
            #expect(try await load.waitUntilEveryClientSucceeds(3, within: .seconds(15)), "calls did not resume on A")
            try await load.phase("a-serving")
            try await Task.sleep(for: .seconds(1))
            try await mesh.restart(1)
            try await load.phase("b-back")
            #expect(try await mesh.takesTraffic(1) == nil)
        }
        report.attach("failover-sigstop-then-kill")
        Self.expectNoFailures(
            report, ["steady", "a-out", "a-serving", "b-back"], sparing: [Self.address(mesh[1])], "hung, then kill")
        #expect(Self.gatewayGaveUp(report).isEmpty, "\(report)")
        await mesh.stop()
    }

    /// 6. A reports NOT_SERVING (its model unloaded) while B is killed: calls go to A anyway
    /// (panic routing) and get A's own answer, not the gateway's "no replica"; A's model back,
    /// every call succeeds again.
    @Test func notServingReplicaWhileTheOtherIsKilled() async throws {
        let fastRescan = ["--poll-interval-ms", "200"]
        let mesh = try await Replicas(count: 2, workerArguments: fastRescan)
        // A model with no version left is not ready, and neither is the worker.
        let modelDirectory = "\(mesh.repositories[0])/iris/1"
        let parked = "\(mesh.scratch.root)/parked-version"
        let (report, _) = try await Mesh.steadyLoad(gateway: mesh.gateway, scratch: mesh.scratch, concurrency: Self.concurrency) {
            load in
            try await load.phase("steady")
            #expect(try await mesh.takesTraffic(1) == nil)
            try await load.phase("a-unloading")
            try FileManager.default.moveItem(atPath: modelDirectory, toPath: parked)
            // Out of use: ejected for its NOT_FOUND answers, or seen NOT_SERVING by a health check.
            let out = try await timeUntil(.seconds(15)) { try await mesh.admin.state(ofPort: mesh[0].port) != "ready" }
            #expect(out != nil, "A stayed in use")
            // One health interval later the gateway has seen A's NOT_SERVING too.
            try await Task.sleep(for: .milliseconds(2500))
            try await load.phase("a-not-serving")
            try await Task.sleep(for: .seconds(1))
            try await load.phase("b-killed")
            await mesh[1].kill9()
            let panicking = try await timeUntil(.seconds(5)) { try await mesh.admin.endpoints().allSatisfy(\.panic) }
            #expect(panicking != nil, "the admin service never showed the version in panic")
            try await Task.sleep(for: .seconds(1))
            try await load.phase("a-restoring")
            try FileManager.default.moveItem(atPath: parked, toPath: modelDirectory)
            #expect(try await load.waitUntilEveryClientSucceeds(3, within: .seconds(15)), "calls did not resume on A")
            try await load.phase("a-serving")
            try await Task.sleep(for: .seconds(1))
        }
        report.attach("failover-not-serving-then-kill")
        // Calls that reach A while it unloads (before a health check sees it) get NOT_FOUND
        // there and are retried on B; only once B is gone do callers get A's own answer.
        Self.expectNoFailures(
            report, ["steady", "a-unloading", "a-not-serving", "a-serving"], sparing: [Self.address(mesh[1])],
            "not serving, then kill")
        #expect(Self.gatewayGaveUp(report).isEmpty, "\(report)")
        // The panic-routed calls and A's ejection (for its NOT_FOUND answers) are counted.
        let metricsPort = try #require(mesh.gateway.metricsPort)
        let metrics = try #require(await MetricsScrape.values(port: metricsPort))
        #expect(MetricsScrape.sum(metrics, "gateway_panic_routed_calls_total", ["model": "iris", "version": "1"]) > 0)
        #expect(MetricsScrape.sum(metrics, "gateway_ejections_total", ["endpoint": Self.address(mesh[0])]) >= 1)
        // Panic ends at the next health round that sees both replicas serving (slower on a loaded machine).
        var panicEnded = false
        for _ in 0..<50 where !panicEnded {
            panicEnded = try await mesh.admin.endpoints().allSatisfy { !$0.panic }
            if !panicEnded { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(panicEnded, "still in panic with both replicas serving")
        await mesh.stop()
    }
}

/// 5. A pod replacement behind `dns:///`: A's successor comes up at a new address, the name
/// moves to it, A drains and exits, then B is killed. The gateway resolves through a hosts
/// file it reads with nss_wrapper (Debian `libnss-wrapper`), so the name really changes.
@Suite("failover across a pod replacement behind dns:///", .serialized)
struct DNSFailoverTests {
    static let library = "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: library), "needs Debian's libnss-wrapper"))
    func podReplacedThenTheOtherKilled() async throws {
        let scratch = try GatewayScratch()
        let repository = try scratch.repository("v1", version: 1)
        // Pods share a port and differ in address, as behind a headless Service.
        let a = try await Mesh.replica(repository, host: "127.0.0.2")
        let port = a.port
        let b = try await Mesh.replica(repository, host: "127.0.0.3", port: port)
        let hosts = "\(scratch.root)/hosts"
        let publish: @Sendable ([String]) throws -> Void = { addresses in
            try addresses.map { "\($0) iris-v1.test\n" }.joined().write(toFile: hosts, atomically: true, encoding: .utf8)
        }
        try publish(["127.0.0.2", "127.0.0.3"])
        try scratch.writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["dns:///iris-v1.test:\(port)"]}
            """)
        let gateway = try await Mesh.gateway(
            scratch, healthCheckIntervalMs: 2000, extra: ["--resolve-interval-ms", "500"],
            environment: ["LD_PRELOAD": Self.library, "NSS_WRAPPER_HOSTS": hosts])
        let admin = AdminProbe(gateway: gateway)
        let (report, (successor, restarted)) = try await Mesh.steadyLoad(
            gateway: gateway, scratch: scratch, concurrency: FailoverMatrixTests.concurrency
        ) { load in
            try await load.phase("steady")
            let both = try await timeUntil(.seconds(20)) { try await admin.endpoints().filter { $0.state == "ready" }.count == 2 }
            #expect(both != nil, "the gateway never saw both pods")
            try await load.phase("replacing")
            let successor = try await Mesh.replica(repository, host: "127.0.0.4", port: port)
            // The hosts file's time stamp must differ for nss_wrapper to read it again.
            try await Task.sleep(for: .milliseconds(1100))
            try publish(["127.0.0.3", "127.0.0.4"])
            #expect(await a.terminate() == 0)
            let took = try await timeUntil(.seconds(20)) {
                guard try await admin.state(ofPort: port) != nil else { return false }
                let states = try await admin.endpoints().map { "\($0.address)=\($0.state)" }
                return states.contains("127.0.0.4:\(port)=ready") && !states.contains { $0.hasPrefix("127.0.0.2:") }
            }
            let states = try await admin.endpoints().map { "\($0.address)=\($0.state)" }
            #expect(took != nil, "the successor never replaced A: \(states)")
            try await load.phase("replaced")
            try await Task.sleep(for: .seconds(1))
            try await load.phase("b-killed")
            await b.kill9()
            try await Task.sleep(for: .seconds(2))
            try await load.phase("successor-alone")
            try await Task.sleep(for: .seconds(1))
            let restarted = try await Mesh.replica(repository, host: "127.0.0.3", port: port)
            try await load.phase("b-back")
            try await Task.sleep(for: .seconds(1))
            return (successor, restarted)
        }
        report.attach("failover-dns-pod-replacement")
        let killed = "127.0.0.3:\(port)"
        FailoverMatrixTests.expectNoFailures(
            report, ["steady", "replacing", "replaced", "successor-alone", "b-back"], sparing: [killed], "pod replacement")
        FailoverMatrixTests.expectFewFailures(report, "b-killed", "pod replacement")
        FailoverMatrixTests.expectInFlightLoss(report, killed: killed, "pod replacement")
        #expect(FailoverMatrixTests.gatewayGaveUp(report).isEmpty, "\(report)")
        #expect(report["successor-alone"].calls > 0, "\(report)")
        await admin.close()
        #expect(await gateway.terminate() == 0)
        for process in [successor, restarted] where process.isRunning { _ = await process.terminate() }
    }
}

import AdminAPI
import Foundation
import RPCTransport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Temporary model repositories, routes files and state files for gateway tests.
final class GatewayScratch: @unchecked Sendable {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The example iris model of `version` (1: logistic regression, 2: random forest).
    static func exampleModel(_ version: Int) -> String {
        PythonPeer.repositoryRoot.appendingPathComponent("examples/models/iris/\(version)/model.onnx").path
    }

    /// A repository holding `iris` at `version` only, with `file`'s bytes (default: the example).
    func repository(_ name: String, version: Int, modelBytes: Data? = nil) throws -> String {
        let directory = "\(root)/\(name)/iris/\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let bytes = try modelBytes ?? Data(contentsOf: URL(fileURLWithPath: Self.exampleModel(version)))
        try bytes.write(to: URL(fileURLWithPath: "\(directory)/model.onnx"))
        return "\(root)/\(name)"
    }

    /// Writes (or replaces, atomically) the routes file and returns its path.
    @discardableResult
    func writeRoutes(_ yaml: String) throws -> String {
        let path = "\(root)/routes.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Routes `iris` version 1 to `v1` and version 2 to `v2`, with `policy` (a `traffic:` or
    /// `canary:` entry, continuation lines indented under it) under the model.
    @discardableResult
    func writeTwoVersionRoutes(_ v1: ServiceProcess, _ v2: ServiceProcess, policy: String) throws -> String {
        let indented = policy.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        return try writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(v1.port)"]}
                  "2": {endpoints: ["127.0.0.1:\(v2.port)"]}
            \(indented)
            """)
    }

    var statePath: String { "\(root)/canary-state.json" }
    var markerPath: String { "\(root)/load-started" }

    /// The saved canary state of `model` as JSON.
    func savedCanary(_ model: String) throws -> [String: Any]? {
        let data = try Data(contentsOf: URL(fileURLWithPath: statePath))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (object?["models"] as? [String: Any])?[model] as? [String: Any]
    }
}

/// Starts model-workers and a gateway as real processes on ports picked at run time.
enum Mesh {
    static func worker(_ repository: String) async throws -> ServiceProcess {
        try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository", repository, "--log-level",
                "warning",
            ])
    }

    static func preprocessor(_ pipelines: String) async throws -> ServiceProcess {
        try await ServiceProcess.start(
            "feature-preprocessor",
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--pipelines", pipelines, "--log-level", "warning"])
    }

    static func gateway(
        _ scratch: GatewayScratch, port: Int = 0, healthCheckIntervalMs: Int = 200, extra: [String] = [],
        environment: [String: String] = [:], readingMetricsPort: Bool = false, readingHTTPPort: Bool = false
    ) async throws -> ServiceProcess {
        try await ServiceProcess.start(
            "gateway",
            [
                "--listen", "127.0.0.1:\(port)", "--metrics-listen", "127.0.0.1:0", "--routes", "\(scratch.root)/routes.yaml",
                "--canary-state", scratch.statePath,
                "--health-check-interval-ms", "\(healthCheckIntervalMs)", "--routes-poll-interval-ms", "100", "--log-level",
                "warning",
            ] + extra,
            readingMetricsPort: readingMetricsPort, readingHTTPPort: readingHTTPPort, environment: environment)
    }

    /// Runs the load peer in the background, calls `fault` once calls flow, and returns its counts.
    static func load(
        gateway: ServiceProcess, scratch: GatewayScratch, seconds: Double, concurrency: Int,
        fault: @Sendable () async throws -> Void = {}
    ) async throws -> [String: Any] {
        let port = gateway.port
        let marker = scratch.markerPath
        try? FileManager.default.removeItem(atPath: marker)
        async let result = PythonPeer.json(
            "gateway_checks.py", ["load", String(port), String(seconds), String(concurrency), marker])
        let started = ContinuousClock.now
        while !FileManager.default.fileExists(atPath: marker), ContinuousClock.now - started < .seconds(30) {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await fault()
        return try await result
    }
}

// MARK: Fault injection under load

extension Mesh {
    /// A model-worker whose metrics port is known, on `port` (0: any free one). A replica
    /// restarted on its old port retries for a while in case the port is not free yet.
    static func replica(
        _ repository: String, host: String = "127.0.0.1", port: Int = 0, extra: [String] = []
    ) async throws -> ServiceProcess {
        let arguments =
            [
                "--listen", "\(host):\(port)", "--metrics-listen", "127.0.0.1:0",
                "--model-repository", repository, "--log-level", "warning",
            ] + extra
        var attempt = 0
        while true {
            do {
                return try await ServiceProcess.start("model-worker", arguments, readingMetricsPort: true)
            } catch  where port != 0 && attempt < 20 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Runs `fault_load.py` against `gateway` until `body` returns, and returns its counts.
    /// `body` runs once calls flow; it names phases so the counts can be told apart.
    static func steadyLoad<Outcome: Sendable>(
        gateway: ServiceProcess, scratch: GatewayScratch, concurrency: Int = 4, timeoutMilliseconds: Int = 5000,
        _ body: @Sendable (LoadControl) async throws -> Outcome
    ) async throws -> (LoadReport, Outcome) {
        try await steadyLoad(
            ports: [gateway.port], scratch: scratch, concurrency: concurrency, timeoutMilliseconds: timeoutMilliseconds,
            body)
    }

    /// Steady load spread over several gateways: client thread i calls `ports[i % ports.count]`.
    static func steadyLoad<Outcome: Sendable>(
        ports: [Int], scratch: GatewayScratch, concurrency: Int = 4, timeoutMilliseconds: Int = 5000,
        maxSeconds: Int = 120, _ body: @Sendable (LoadControl) async throws -> Outcome
    ) async throws -> (LoadReport, Outcome) {
        let control = try LoadControl(directory: "\(scratch.root)/load-\(UUID().uuidString)")
        async let output = PythonPeer.json(
            "fault_load.py",
            [
                "load", ports.map(String.init).joined(separator: ","), String(concurrency), String(timeoutMilliseconds),
                control.directory, String(maxSeconds),
            ])
        let outcome: Result<Outcome, any Error>
        do {
            try await control.waitUntilStarted()
            outcome = .success(try await body(control))
        } catch {
            outcome = .failure(error)
        }
        control.stop()
        let report = LoadReport(try await output)
        return (report, try outcome.get())
    }
}

/// The files through which a test steers a running `fault_load.py`.
struct LoadControl: Sendable {
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Calls started from now on count in phase `name`.
    func phase(_ name: String) async throws {
        try name.write(toFile: "\(directory)/phase", atomically: true, encoding: .utf8)
        // The peer polls every 10 ms; give it time to switch before the caller acts.
        try await Task.sleep(for: .milliseconds(30))
    }

    func stop() {
        _ = FileManager.default.createFile(atPath: "\(directory)/stop", contents: nil)
    }

    /// Waits until every load thread has had `calls` successful calls in a row; false after `limit`.
    func waitUntilEveryClientSucceeds(_ calls: Int, within limit: Duration) async throws -> Bool {
        try await timeUntil(limit) {
            guard let data = FileManager.default.contents(atPath: "\(directory)/progress"),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let streaks = object["streaks"] as? [Int], !streaks.isEmpty
            else { return false }
            return streaks.allSatisfy { $0 >= calls }
        } != nil
    }

    func waitUntilStarted() async throws {
        let started = ContinuousClock.now
        while !FileManager.default.fileExists(atPath: "\(directory)/started") {
            guard ContinuousClock.now - started < .seconds(60) else {
                throw PythonPeer.PeerError(description: "the load never got 20 calls through")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// What `fault_load.py` counted, overall and per phase.
struct LoadReport: Sendable, CustomStringConvertible {
    struct Counts: Sendable {
        var calls = 0
        var failures = 0
        var errors: [String: Int] = [:]
        var versions: [String: Int] = [:]

        init(_ object: [String: Any]?) {
            calls = object?["calls"] as? Int ?? 0
            failures = object?["failures"] as? Int ?? 0
            errors = object?["errors"] as? [String: Int] ?? [:]
            versions = object?["versions"] as? [String: Int] ?? [:]
        }
    }

    var total: Counts
    var phases: [String: Counts]
    var phaseOrder: [String]
    /// Calls and failures by gateway port, then phase (only `calls` and `failures` are set).
    var ports: [Int: [String: Counts]]

    init(_ object: [String: Any]) {
        total = Counts(object)
        phases = (object["phases"] as? [String: [String: Any]] ?? [:]).mapValues { Counts($0) }
        phaseOrder = object["phase_order"] as? [String] ?? []
        var ports: [Int: [String: Counts]] = [:]
        for (port, byPhase) in object["ports"] as? [String: [String: [String: Any]]] ?? [:] {
            if let number = Int(port) { ports[number] = byPhase.mapValues { Counts($0) } }
        }
        self.ports = ports
    }

    /// Failed calls through the gateway on `port`, over every phase.
    func failures(throughPort port: Int) -> Int {
        (ports[port] ?? [:]).values.reduce(0) { $0 + $1.failures }
    }

    subscript(phase: String) -> Counts { phases[phase] ?? Counts(nil) }

    /// Keeps the counts with the test's results (`swift test --attachments-path DIR`).
    func attach(_ name: String) {
        Attachment.record(description, named: "\(name).txt")
    }

    var description: String {
        let lines = phaseOrder.map { name in
            let counts = self[name]
            return "  \(name): \(counts.calls) calls, \(counts.failures) failed \(counts.errors), versions \(counts.versions)"
        }
        return "\(total.calls) calls, \(total.failures) failed\n" + lines.joined(separator: "\n")
    }
}

/// The gateway's admin service, called in-process so a test can poll it often.
struct AdminProbe: Sendable {
    let client: RPCClient
    /// Generous: under the whole suite a call can wait seconds for this process's cooperative
    /// threads (measured up to 1.8 s per resumption on a loaded 2-core machine).
    static let timeout = Duration.seconds(15)

    init(gateway: ServiceProcess) {
        client = RPCClient(host: "127.0.0.1", port: gateway.port)
    }

    func endpoints(_ model: String = "iris") async throws -> [EndpointStatus] {
        try await client.unary(
            AdminMethods.endpointHealth, ModelSelector(model: model), timeout: Self.timeout, as: EndpointStatusList.self
        ).message.endpoints
    }

    /// The state (`ready`, `ejected`, ...) of the replica at `port`.
    func state(ofPort port: Int, model: String = "iris") async throws -> String? {
        try await endpoints(model).first { $0.address.hasSuffix(":\(port)") }?.state
    }

    func canary(_ model: String = "iris") async throws -> CanaryStatus? {
        try await client.unary(
            AdminMethods.canaryStatus, ModelSelector(model: model), timeout: Self.timeout, as: CanaryStatusList.self
        ).message.canaries.first
    }

    func routes() async throws -> RouteList {
        try await client.unary(AdminMethods.listRoutes, ListRoutesRequest(), timeout: Self.timeout, as: RouteList.self).message
    }

    @discardableResult
    func act(_ action: CanaryActionRequest.Action, model: String = "iris", weight: Double = 0) async throws -> CanaryStatus {
        try await client.unary(
            AdminMethods.canaryAction, CanaryActionRequest(model: model, action: action, weight: weight),
            timeout: Self.timeout, as: CanaryStatus.self
        ).message
    }

    func close() async { await client.close() }
}

/// A process's Prometheus metrics, read from its ops port.
enum MetricsScrape {
    /// `series → value`, the series written as exposed (`name{label="value",...}`); nil when
    /// nothing answers on `port`.
    static func values(port: Int) async -> [String: Double]? {
        await OpsHTTP.metrics(port: port, timeoutSeconds: 5)
    }

    /// The sum of the series named `name` whose labels include every one of `labels`.
    static func sum(_ values: [String: Double], _ name: String, _ labels: [String: String] = [:]) -> Double {
        values.reduce(0) { total, entry in
            let series = entry.key
            guard series == name || series.hasPrefix(name + "{") else { return total }
            let matches = labels.allSatisfy { series.contains("\($0.key)=\"\($0.value)\"") }
            return matches ? total + entry.value : total
        }
    }

    /// ModelInfer calls a worker answered OK since it started.
    static func inferCalls(_ worker: ServiceProcess) async -> Double? {
        guard let port = worker.metricsPort, let values = await values(port: port) else { return nil }
        return sum(values, "rpc_server_requests_total", ["method": "/inference.GRPCInferenceService/ModelInfer", "code": "OK"])
    }
}

/// Polls `condition` every `interval` until it holds; the time it took, or nil after `limit`.
///
/// A probe that throws (an admin call timing out while the whole suite loads both cores) counts
/// as "not yet" until the limit; only the last probe's error is thrown.
func timeUntil(
    _ limit: Duration, every interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
) async throws -> Duration? {
    let started = ContinuousClock.now
    while ContinuousClock.now - started < limit {
        do {
            if try await condition() { return ContinuousClock.now - started }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // Retried below; the final probe reports a lasting failure.
        }
        try await Task.sleep(for: interval)
    }
    return try await condition() ? ContinuousClock.now - started : nil
}

import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The worker as an SRE sees it: metrics after known traffic, health and readiness, SIGHUP,
/// graceful shutdown with calls in flight, and the config file. Real processes, ports chosen
/// at run time.
@Suite("model-worker operations", .serialized)
struct WorkerOpsTests {
    private let inferPath = "/inference.GRPCInferenceService/ModelInfer"

    @Test func metricsCountKnownTrafficPerMethodStatusAndModelVersion() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let worker = try await WorkerProcess.start(
            ["--model-repository", repository.root, "--max-message-bytes", "4096", "--log-level", "warning"])
        let codes = try await PythonPeer.json("ops_traffic.py", [String(worker.port), "iris"])
        #expect(codes["infer"] as? [String] == ["OK", "OK", "OK"])
        #expect(codes["unknown"] as? [String] == ["NOT_FOUND", "NOT_FOUND"])
        #expect(codes["wrong_type"] as? [String] == ["INVALID_ARGUMENT"])
        #expect(codes["too_large"] as? [String] == ["RESOURCE_EXHAUSTED"])
        #expect(codes["no_method"] as? [String] == ["UNIMPLEMENTED"])

        let values = await worker.scrape()
        func requests(_ method: String, _ code: String) -> Double? {
            values["rpc_server_requests_total{method=\"/inference.GRPCInferenceService/\(method)\",code=\"\(code)\"}"]
        }
        #expect(requests("ServerLive", "OK") == 4)
        #expect(requests("ModelInfer", "OK") == 3)
        #expect(requests("ModelInfer", "NOT_FOUND") == 2)
        #expect(requests("ModelInfer", "INVALID_ARGUMENT") == 1)
        #expect(requests("ModelInfer", "INTERNAL") == nil)
        // Refused by the transport before any handler ran: counted, but not timed.
        #expect(requests("ModelInfer", "RESOURCE_EXHAUSTED") == 1)
        #expect(values[#"rpc_server_requests_total{method="unknown",code="UNIMPLEMENTED"}"#] == 1)
        #expect(values["rpc_server_request_duration_seconds_count{method=\"\(inferPath)\"}"] == 6)
        #expect(values["rpc_server_requests_in_flight{method=\"\(inferPath)\"}"] == 0)

        // Only the three good calls reached the model; each ran alone (no batching) on 2 rows.
        let version = #"model="iris",version="1""#
        #expect(values["model_inference_requests_total{\(version)}"] == 3)
        #expect(values["model_inference_failures_total{\(version)}"] == 0)
        #expect(values["model_inference_queue_seconds_count{\(version)}"] == 3)
        #expect(values["model_inference_compute_seconds_count{\(version)}"] == 3)
        #expect(values["model_batch_size_bucket{\(version),le=\"1.0\"}"] == 0)
        #expect(values["model_batch_size_bucket{\(version),le=\"2.0\"}"] == 3)
        #expect(values["model_batch_size_sum{\(version)}"] == 6)

        #expect((values["process_resident_memory_bytes"] ?? 0) > 1_000_000)
        #expect((values["process_open_fds"] ?? 0) > 0)
        #expect(values["rpc_server_open_connections"] != nil)
        #expect(values["rpc_server_active_streams"] == 0)
        worker.send(SIGTERM)
        #expect(await worker.exitStatus() == 0)
    }

    @Test func healthAndReadinessFollowTheRepositoryAndSIGHUPRescans() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        // A model without versions keeps the worker not ready; polling is far off, so only
        // SIGHUP can notice the version added below.
        try FileManager.default.createDirectory(atPath: "\(repository.root)/late", withIntermediateDirectories: true)
        let worker = try await WorkerProcess.start(
            ["--model-repository", repository.root, "--poll-interval-ms", "600000", "--log-level", "warning"])
        #expect(await OpsHTTP.get(port: worker.metricsPort, "/healthz")?.status == 200)
        let notReady = try #require(await OpsHTTP.get(port: worker.metricsPort, "/readyz"))
        #expect(notReady.status == 503)
        #expect(notReady.body.contains("model 'late' is not available"), "\(notReady.body)")

        try repository.add("late", version: 1, fixture: "logreg_iris")
        try await Task.sleep(for: .milliseconds(300))
        #expect(await OpsHTTP.get(port: worker.metricsPort, "/readyz")?.status == 503, "no rescan without SIGHUP")
        worker.send(SIGHUP)
        var ready: OpsHTTP.Response?
        for _ in 0..<100 {
            ready = await OpsHTTP.get(port: worker.metricsPort, "/readyz")
            if ready?.status == 200 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ready?.status == 200, "\(ready?.body ?? "no answer")")
        #expect(ready?.body == "ready\n")
        let values = await worker.scrape()
        #expect(values[#"model_inference_requests_total{model="late",version="1"}"#] == 0)
        worker.send(SIGTERM)
        #expect(await worker.exitStatus() == 0)
    }

    @Test func sigtermTurnsNotReadyFirstAndLetsCallsInFlightFinish() async throws {
        let repository = try FixtureRepository()
        // A 2 s batching delay keeps single calls in flight long enough to shut down under them.
        try repository.config("slow", "max_batch_size: 64\ndynamic_batching: {max_queue_delay_microseconds: 2000000}")
        try repository.add("slow", version: 1, fixture: "logreg_iris")
        let worker = try await WorkerProcess.start(
            ["--model-repository", repository.root, "--shutdown-grace", "20", "--log-level", "warning"])
        let calls = 4
        async let peer = PythonPeer.json("ops_inflight.py", [String(worker.port), "slow", String(calls)])

        let inFlight = "rpc_server_requests_in_flight{method=\"\(inferPath)\"}"
        var values: [String: Double] = [:]
        for _ in 0..<200 {
            values = await worker.scrape()
            if values[inFlight] == Double(calls) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(values[inFlight] == Double(calls), "calls never got in flight: \(values[inFlight] ?? -1)")
        #expect(await OpsHTTP.get(port: worker.metricsPort, "/readyz")?.status == 200)

        worker.send(SIGTERM)
        // Readiness flips while the calls are still running, before the gRPC listener goes.
        var readyz: OpsHTTP.Response?
        for _ in 0..<100 {
            readyz = await OpsHTTP.get(port: worker.metricsPort, "/readyz")
            if readyz?.status == 503 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(readyz?.status == 503)
        #expect(readyz?.body == "not ready: shutting down\n")
        #expect(await worker.scrape()[inFlight] == Double(calls), "readiness must flip while calls are in flight")

        let result = try await peer
        #expect(result["codes"] as? [String] == Array(repeating: "OK", count: calls), "\(result)")
        #expect(await worker.exitStatus() == 0)
        #expect(await OpsHTTP.get(port: worker.metricsPort, "/healthz") == nil, "the ops port closes at exit")
    }

    @Test func configFileLayersUnderFlags() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("worker-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ name: String, _ yaml: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        let config = try write(
            "worker.yaml",
            """
            model-repository: \(repository.root)
            poll-interval-ms: 250
            listen: 127.0.0.1:0
            metrics-listen: 127.0.0.1:0
            log-level: warning
            """)
        // The effective configuration: file values, a flag over the file, defaults for the rest.
        let printed = try await WorkerProcess.runToCompletion(["--config", config, "--poll-interval-ms", "75", "--print-config"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(
            printed.stdout == """
                listen: 127.0.0.1:0
                model-repository: \(repository.root)
                poll-interval-ms: 75
                model-control-mode: poll
                load-model: []
                max-message-bytes: 4194304
                inference-threads: null
                inline-compute-limit-us: 50
                metrics-listen: 127.0.0.1:0
                http-listen: null
                shutdown-grace: 10
                log-level: warning
                log-format: text
                access-log: errors
                otlp-endpoint: null
                trace-sample-ratio: 1.0
                tls-cert: null
                tls-key: null
                tls-client-ca: null

                """)

        // A worker configured by the file alone starts and serves.
        let worker = try await WorkerProcess.start(["--config", config])
        #expect(await OpsHTTP.get(port: worker.metricsPort, "/readyz")?.status == 200)
        worker.send(SIGTERM)
        #expect(await worker.exitStatus() == 0)

        let unknown = try write("unknown.yaml", "model-repository: \(repository.root)\nmodel-dir: /models\n")
        let unknownRun = try await WorkerProcess.runToCompletion(["--config", unknown])
        #expect(unknownRun.status != 0)
        #expect(unknownRun.stderr.contains("config file '\(unknown)', key 'model-dir': is not an option"), "\(unknownRun.stderr)")

        let bad = try write("bad.yaml", "model-repository: \(repository.root)\npoll-interval-ms: often\n")
        let badRun = try await WorkerProcess.runToCompletion(["--config", bad])
        #expect(badRun.status != 0)
        #expect(badRun.stderr.contains("config file '\(bad)', key 'poll-interval-ms': "), "\(badRun.stderr)")
        #expect(badRun.stderr.contains("'often'"), "\(badRun.stderr)")

        let badListen = try write("listen.yaml", "model-repository: \(repository.root)\nlisten: localhost\n")
        let listenRun = try await WorkerProcess.runToCompletion(["--config", badListen])
        #expect(listenRun.stderr.contains("config file '\(badListen)', key 'listen': --listen 'localhost' is not HOST:PORT"))

        let missing = try await WorkerProcess.runToCompletion(["--config", directory.appendingPathComponent("none.yaml").path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("none.yaml': cannot be read"), "\(missing.stderr)")
    }
}

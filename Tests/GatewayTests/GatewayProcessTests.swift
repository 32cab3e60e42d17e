import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("gateway end to end with real workers", .serialized)
struct GatewayProcessTests {
    @Test func splitStickinessAndErrorsThroughTheGateway() async throws {
        let scratch = try GatewayScratch()
        let v1 = try await Mesh.worker(try scratch.repository("v1", version: 1))
        let v2 = try await Mesh.worker(try scratch.repository("v2", version: 2))
        try scratch.writeTwoVersionRoutes(v1, v2, policy: "traffic: {\"1\": 50, \"2\": 50}")
        let gateway = try await Mesh.gateway(scratch)
        let result = try await PythonPeer.json(
            "gateway_checks.py", ["split", String(gateway.port), GatewayScratch.exampleModel(1), GatewayScratch.exampleModel(2)])

        #expect(result["ready"] as? Bool == true)
        #expect(result["model_ready"] as? Bool == true)
        let metadata = result["metadata"] as? [String: Any]
        #expect(metadata?["name"] as? String == "iris")
        #expect(metadata?["versions"] as? [String] == ["1", "2"])
        #expect(metadata?["inputs"] as? [String] == ["X"])
        // 200 calls at 50/50: each side within 5 standard deviations (about 35) of 100.
        let versions = result["versions"] as? [String: Int] ?? [:]
        #expect((65...135).contains(versions["1"] ?? 0) && (65...135).contains(versions["2"] ?? 0), "\(versions)")
        #expect(result["mismatches"] as? Int == 0, "answers differ from onnxruntime on the answering version")
        #expect(result["sticky_consistent"] as? Bool == true)
        let sticky = result["sticky_versions"] as? [String: Int] ?? [:]
        #expect(sticky.count == 2, "40 keys should land on both versions: \(sticky)")
        #expect(result["explicit"] as? [String] == ["1", "2"])
        let unknownVersion = result["unknown_version"] as? String ?? ""
        #expect(unknownVersion.hasPrefix("StatusCode.NOT_FOUND|model \"iris\" has no version \"9\""), "\(unknownVersion)")
        let unknownModel = result["unknown_model"] as? String ?? ""
        #expect(unknownModel.hasPrefix("StatusCode.NOT_FOUND|model \"nope\" is not routed"), "\(unknownModel)")
        let badInput = result["bad_input"] as? String ?? ""
        #expect(badInput.hasPrefix("StatusCode.INVALID_ARGUMENT|input 'X' has shape [2, 3]"), "\(badInput)")
        #expect(result["version_header"] as? String == "2")

        #expect(await gateway.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }

    @Test func rawColumnsGoThroughThePreprocessorThenTheWorker() async throws {
        let scratch = try GatewayScratch()
        let pipelines = PythonPeer.repositoryRoot.appendingPathComponent("examples/pipelines").path
        let preprocessor = try await Mesh.preprocessor(pipelines)
        let worker = try await Mesh.worker(try scratch.repository("v1", version: 1))
        try scratch.writeRoutes(
            """
            models:
              iris:
                pipeline: {model: iris-features, endpoints: ["127.0.0.1:\(preprocessor.port)"]}
                versions:
                  "1": {endpoints: ["127.0.0.1:\(worker.port)"]}
            """)
        let gateway = try await Mesh.gateway(scratch)
        let result = try await PythonPeer.json(
            "gateway_checks.py",
            ["pipeline", String(gateway.port), GatewayScratch.exampleModel(1), "\(pipelines)/iris-features.yaml"])
        #expect(result["version"] as? String == "1")
        #expect(result["id"] as? String == "raw-rows")
        #expect(result["labels_equal"] as? Bool == true, "labels differ from imputation + onnxruntime")
        #expect(result["probabilities_close"] as? Bool == true)
        let badColumn = result["bad_column"] as? String ?? ""
        #expect(badColumn.hasPrefix("StatusCode.INVALID_ARGUMENT|"), "\(badColumn)")
        #expect(await gateway.terminate() == 0)
        _ = await worker.terminate()
        _ = await preprocessor.terminate()
    }

    @Test func bearerTokensGuardModelsAndTheAdminService() async throws {
        let scratch = try GatewayScratch()
        let worker = try await Mesh.worker(try scratch.repository("v1", version: 1))
        try scratch.writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(worker.port)"]}
            """)
        let tokensPath = "\(scratch.root)/tokens.yaml"
        // The model token is stored as its digest; the admin token comes from the environment.
        try """
        tokens:
          - {name: checkout, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, models: [iris]}
          - {name: ops, env: GATEWAY_TEST_ADMIN_TOKEN, admin: true}
        """.write(toFile: tokensPath, atomically: true, encoding: .utf8)
        setenv("GATEWAY_TEST_ADMIN_TOKEN", "ops-token", 1)
        let gateway = try await Mesh.gateway(scratch, extra: ["--auth-tokens", tokensPath])
        let result = try await PythonPeer.json("gateway_checks.py", ["auth", String(gateway.port), "secret", "ops-token"])
        #expect(result["no_token"] as? String == "UNAUTHENTICATED|a bearer token is required (authorization: Bearer TOKEN)")
        #expect(result["wrong_token"] as? String == "UNAUTHENTICATED|the bearer token is not valid")
        #expect(result["allowed"] as? String == "OK")
        #expect(result["other_model"] as? String == "PERMISSION_DENIED|this token may not call model \"wine\"")
        #expect(
            result["admin_without_right"] as? String
                == "PERMISSION_DENIED|this token may not use the admin service (it needs admin: true)")
        #expect(result["admin"] as? String == "OK")
        #expect(result["ready_without_token"] as? String == "OK")
        #expect(await gateway.terminate() == 0)
        _ = await worker.terminate()
    }

    @Test func brokenCandidateIsRolledBackAndFallbackLosesNoCall() async throws {
        let scratch = try GatewayScratch()
        let v1 = try await Mesh.worker(try scratch.repository("v1", version: 1))
        // Version 2's file is not a model: its worker cannot load it and answers UNAVAILABLE.
        let v2 = try await Mesh.worker(try scratch.repository("v2", version: 2, modelBytes: Data("not onnx".utf8)))
        try scratch.writeTwoVersionRoutes(
            v1, v2,
            policy: """
                canary: {stable: "1", candidate: "2", steps: [20, 50, 100], interval: 1s, min_calls: 10,
                         max_error_rate: 0.05, fallback: true}
                """)
        let gateway = try await Mesh.gateway(scratch)
        let result = try await Mesh.load(gateway: gateway, scratch: scratch, seconds: 3, concurrency: 4)
        #expect((result["calls"] as? Int ?? 0) > 50)
        #expect(result["failures"] as? Int == 0, "\(result["errors"] ?? "")")
        #expect((result["versions"] as? [String: Int])?["2"] == nil, "v2 never answers: \(result["versions"] ?? "")")

        let saved = try #require(try scratch.savedCanary("iris"))
        #expect((saved["phase"] as? [String: Any])?["name"] as? String == "rolled_back", "\(saved)")
        #expect(saved["candidate_weight"] as? Int == 0 || (saved["phase"] as? [String: Any])?["reason"] != nil)

        #expect(await gateway.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }

    @Test func killingOneOfTwoReplicasLosesOnlyCallsInFlight() async throws {
        let scratch = try GatewayScratch()
        let repository = try scratch.repository("v1", version: 1)
        let first = try await Mesh.worker(repository)
        let second = try await Mesh.worker(repository)
        try scratch.writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(first.port)", "127.0.0.1:\(second.port)"]}
            """)
        let gateway = try await Mesh.gateway(scratch)
        let concurrency = 4
        let result = try await Mesh.load(gateway: gateway, scratch: scratch, seconds: 3, concurrency: concurrency) {
            await second.kill9()
        }
        let calls = result["calls"] as? Int ?? 0
        let failures = result["failures"] as? Int ?? -1
        #expect(calls > 100)
        // Only calls already sent to the killed replica may fail; every later call is retried or
        // routed to the survivor.
        #expect(failures >= 0 && failures <= concurrency, "\(failures) of \(calls) failed: \(result["errors"] ?? "")")
        #expect(await gateway.terminate() == 0)
        _ = await first.terminate()
    }

    @Test func deadlinesExpireAtAHungWorkerThroughTheGateway() async throws {
        let scratch = try GatewayScratch()
        let worker = try await Mesh.worker(try scratch.repository("v1", version: 1))
        try scratch.writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(worker.port)"]}
            """)
        // The gateway's own limit for callers that set no deadline is 400 ms here.
        let gateway = try await Mesh.gateway(
            scratch, extra: ["--default-timeout-ms", "400", "--health-check-interval-ms", "60000"])
        let warm = try await PythonPeer.json("gateway_checks.py", ["deadline", String(gateway.port), "2000"])
        #expect(warm["status"] as? String == "OK")
        worker.send(SIGSTOP)
        defer { worker.send(SIGCONT) }
        // The caller's deadline travels to the worker hop; the caller gets DEADLINE_EXCEEDED on time.
        let hung = try await PythonPeer.json("gateway_checks.py", ["deadline", String(gateway.port), "300"])
        let status = hung["status"] as? String ?? ""
        #expect(status.hasPrefix("StatusCode.DEADLINE_EXCEEDED"), "\(status)")
        #expect(hung["elapsed_ms"] as? Double ?? .infinity < 1000)
        // Without a caller deadline the gateway's default applies, and the status comes from it.
        let noDeadline = try await PythonPeer.json("gateway_checks.py", ["deadline", String(gateway.port), "0"])
        let gatewayStatus = noDeadline["status"] as? String ?? ""
        #expect(gatewayStatus.hasPrefix("StatusCode.DEADLINE_EXCEEDED|deadline exceeded calling"), "\(gatewayStatus)")
        #expect(noDeadline["elapsed_ms"] as? Double ?? .infinity < 2000)
        worker.send(SIGCONT)
        #expect(await gateway.terminate() == 0)
        _ = await worker.terminate()
    }

    @Test func adminServiceActionsAndStateSurviveARestart() async throws {
        let scratch = try GatewayScratch()
        let v1 = try await Mesh.worker(try scratch.repository("v1", version: 1))
        let v2 = try await Mesh.worker(try scratch.repository("v2", version: 2))
        try scratch.writeTwoVersionRoutes(
            v1, v2, policy: "canary: {stable: \"1\", candidate: \"2\", steps: [5, 50, 100], interval: 1h, min_calls: 1000}")
        var gateway = try await Mesh.gateway(scratch)
        let result = try await PythonPeer.json("gateway_checks.py", ["admin", String(gateway.port), "iris"])
        let routes = result["routes"] as? [[String: Any]] ?? []
        #expect(routes.first?["model"] as? String == "iris")
        #expect(routes.first?["versions"] as? [String: Double] == ["1": 95, "2": 5])
        #expect(routes.first?["phase"] as? String == "progressing")
        #expect(result["yaml_has_model"] as? Bool == true)
        #expect((result["canaries"] as? [[String: Any]])?.first?["weight"] as? Double == 5)
        let endpoints = result["endpoints"] as? [[String: Any]] ?? []
        #expect(endpoints.count == 2 && endpoints.allSatisfy { $0["state"] as? String == "ready" }, "\(endpoints)")
        #expect((result["hints"] as? [[String: Any]])?.count == 2)
        #expect(result["pause"] as? String == "paused")
        #expect(result["set_weight"] as? Double == 30)
        #expect(result["resume"] as? String == "progressing")
        #expect(result["promote"] as? String == "promoted")
        let pauseAfterPromote = result["pause_after_promote"] as? String ?? ""
        #expect(pauseAfterPromote.hasPrefix("FAILED_PRECONDITION|"), "\(pauseAfterPromote)")
        #expect(result["restart"] as? String == "progressing")
        #expect(result["abort"] as? String == "aborted")
        let badRoute = result["bad_route"] as? String ?? ""
        #expect(badRoute.hasPrefix("INVALID_ARGUMENT|"), "\(badRoute)")
        #expect(result["get_route_has_versions"] as? Bool == true)

        // A restarted gateway resumes from the state file: still aborted, not a fresh rollout.
        #expect(await gateway.terminate() == 0)
        gateway = try await Mesh.gateway(scratch)
        let again = try await PythonPeer.json("gateway_checks.py", ["status", String(gateway.port)])
        #expect((again["routes"] as? [[String: Any]])?.first?["phase"] as? String == "aborted")
        #expect((again["routes"] as? [[String: Any]])?.first?["versions"] as? [String: Double] == ["1": 100, "2": 0])
        #expect(await gateway.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }

    @Test func routesReloadAndAnInvalidFileKeepsTheRunningRoutes() async throws {
        let scratch = try GatewayScratch()
        let v1 = try await Mesh.worker(try scratch.repository("v1", version: 1))
        let v2 = try await Mesh.worker(try scratch.repository("v2", version: 2))
        func routes(_ traffic: String) -> String {
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(v1.port)"]}
                  "2": {endpoints: ["127.0.0.1:\(v2.port)"]}
                traffic: \(traffic)
            """
        }
        try scratch.writeRoutes(routes(#"{"1": 100}"#))
        let gateway = try await Mesh.gateway(scratch)
        var result = try await Mesh.load(gateway: gateway, scratch: scratch, seconds: 0.5, concurrency: 1)
        #expect(result["versions"] as? [String: Int] != nil && (result["versions"] as? [String: Int])?["2"] == nil)

        try scratch.writeRoutes(routes(#"{"2": 100}"#))
        try await Task.sleep(for: .milliseconds(600))
        result = try await Mesh.load(gateway: gateway, scratch: scratch, seconds: 0.5, concurrency: 1)
        #expect((result["versions"] as? [String: Int])?["1"] == nil, "\(result)")

        try scratch.writeRoutes(routes(#"{"3": 100}"#))
        try await Task.sleep(for: .milliseconds(600))
        result = try await Mesh.load(gateway: gateway, scratch: scratch, seconds: 0.5, concurrency: 1)
        #expect(result["failures"] as? Int == 0)
        #expect((result["versions"] as? [String: Int])?["1"] == nil, "an invalid routes file must not replace the running one")

        #expect(await gateway.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }
}

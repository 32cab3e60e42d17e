import Foundation
import TestSupport
import Testing

/// REST calls through a real gateway get what gRPC calls get: bearer-token auth, the weighted
/// split with sticky routing keys (`x-routing-key`), an explicit version in the path, the
/// answering version in `x-model-version`, and clear errors; tritonclient.http works unchanged.
@Suite("gateway over HTTP/REST")
struct GatewayRESTTests {
    @Test func routingStickinessAndAuthOverREST() async throws {
        let scratch = try GatewayScratch()
        let v1 = try await Mesh.worker(try scratch.repository("v1", version: 1))
        let v2 = try await Mesh.worker(try scratch.repository("v2", version: 2))
        try scratch.writeTwoVersionRoutes(v1, v2, policy: "traffic: {\"1\": 50, \"2\": 50}")
        let tokensPath = "\(scratch.root)/tokens.yaml"
        // The digest of "secret".
        try """
        tokens:
          - {name: checkout, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, models: [iris]}
        """.write(toFile: tokensPath, atomically: true, encoding: .utf8)
        let gateway = try await Mesh.gateway(
            scratch, extra: ["--auth-tokens", tokensPath, "--http-listen", "127.0.0.1:0"], readingHTTPPort: true)
        let httpPort = try #require(gateway.httpPort)
        let result = try await PythonPeer.json("rest_checks.py", ["gateway", String(httpPort), "iris", "secret"])

        #expect(result["no_token"] as? [AnyHashable] == [401, "a bearer token is required (authorization: Bearer TOKEN)"])
        #expect(result["status"] as? Int == 200)
        #expect(result["model_name"] as? String == "iris")
        #expect(["1", "2"].contains(result["header_version"] as? String ?? ""), "\(result)")
        #expect(result["sticky"] as? Bool == true, "a routing key moved between versions: \(result)")
        #expect(result["versions"] as? [String] == ["1", "2"], "four keys at 50/50 should reach both versions: \(result)")
        #expect(result["explicit_version"] as? String == "1")
        #expect((result["triton_labels"] as? [Int])?.count == 2)
        let unrouted = result["unrouted"] as? [Any]
        // The token covers iris only: the same PERMISSION_DENIED a gRPC caller gets, as 403.
        #expect(unrouted?.first as? Int == 403, "\(unrouted ?? [])")
        #expect((unrouted?.last as? String)?.contains("this token may not call model \"unrouted\"") == true, "\(unrouted ?? [])")
        #expect(await gateway.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }
}

@Suite("gateway forwards Triton's ModelConfig")
struct GatewayModelConfigTests {
    @Test func perfAnalyzerSequenceThroughTheGateway() async throws {
        let scratch = try GatewayScratch()
        let worker = try await Mesh.worker(try scratch.repository("v1", version: 1))
        try scratch.writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(worker.port)"]}
            """)
        let gateway = try await Mesh.gateway(scratch, extra: ["--http-listen", "127.0.0.1:0"], readingHTTPPort: true)
        let result = try await PythonPeer.json(
            "perf_analyzer_sequence.py",
            [String(gateway.port), String(try #require(gateway.httpPort)), "iris", GatewayScratch.exampleModel(1)])
        for transport in ["grpc", "http"] {
            let answer = result[transport] as? [String: Any] ?? [:]
            let config = answer["config"] as? [String: Any] ?? [:]
            #expect(
                config["name"] as? String == "iris" && config["platform"] as? String == "onnxruntime_onnx",
                "\(transport): \(result)")
            #expect(answer["labels_equal"] as? Bool == true, "\(transport): labels differ from onnxruntime")
        }
        #expect(await gateway.terminate() == 0)
        _ = await worker.terminate()
    }
}

/// Statistics summed over a version's replicas, the routed index, and model loads and unloads
/// forwarded to the workers for admin tokens only, through a real gateway over gRPC and HTTP.
@Suite("gateway forwards Triton's statistics and repository control")
struct GatewayTritonExtensionsTests {
    @Test(arguments: ["grpc", "http"])
    func statisticsAndRepositoryControlThroughTheGateway(transport: String) async throws {
        let scratch = try GatewayScratch()
        let repository = try scratch.repository("v1", version: 1)
        var workers: [ServiceProcess] = []
        for _ in 0..<2 {
            workers.append(
                try await ServiceProcess.start(
                    "model-worker",
                    [
                        "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository", repository,
                        "--model-control-mode", "explicit", "--log-level", "warning",
                    ]))
        }
        try scratch.writeRoutes(
            """
            models:
              iris:
                versions:
                  "1": {endpoints: [\(workers.map { "\"127.0.0.1:\($0.port)\"" }.joined(separator: ", "))]}
            """)
        let tokensPath = "\(scratch.root)/tokens.yaml"
        // The digests of "secret" and "admin-secret".
        try """
        tokens:
          - {name: checkout, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, models: [iris]}
          - {name: ops, sha256: 16175223c8ddce5ace0493c948569c211b03c4c6bb3d3e484434999448cffe01, admin: true}
        """.write(toFile: tokensPath, atomically: true, encoding: .utf8)
        let gateway = try await Mesh.gateway(
            scratch, extra: ["--auth-tokens", tokensPath, "--http-listen", "127.0.0.1:0"], readingHTTPPort: true)
        let port = transport == "grpc" ? gateway.port : try #require(gateway.httpPort)
        let result = try await PythonPeer.json(
            "triton_extensions.py",
            ["gateway", transport, String(port), GatewayScratch.exampleModel(1), "admin-secret", "secret"])

        // Six calls spread over two replicas, added up per version.
        let stats = try #require((result["stats"] as? [[String: Any]])?.first, "\(result)")
        #expect(stats["name"] as? String == "iris" && stats["version"] as? String == "1")
        #expect((stats["success"] as? [Int])?.first == 6, "\(stats)")
        #expect(stats["inference_count"] as? Int == 6, "\(stats)")
        #expect(result["index"] as? [[String]] == [["iris", "1", "READY", ""]])
        let refused = result["load_as_user"] as? [String] ?? []
        #expect(
            refused.first == (transport == "grpc" ? "PERMISSION_DENIED" : "403")
                && refused.last?.contains("may not load or unload models") == true, "\(refused)")
        #expect(result["unload_as_admin"] as? String == "OK")
        #expect(result["infer_after_unload"] as? String != "OK", "\(result)")
        #expect(result["load_as_admin"] as? String == "OK")
        #expect(result["infer_after_load"] as? String == "OK", "\(result)")
        #expect(await gateway.terminate() == 0)
        for worker in workers { _ = await worker.terminate() }
    }
}

import Foundation
import TestSupport
import Testing

@Suite("ModelStreamInfer through the gateway with real workers", .serialized)
struct GatewayStreamInferTests {
    /// Each request on the stream is routed like a ModelInfer call: explicit version, sticky key
    /// (header or parameter), weighted split; a bad request is answered with its error.
    @Test func streamRequestsAreRoutedLikeModelInfer() async throws {
        let scratch = try GatewayScratch()
        let v1 = try await Mesh.worker(try scratch.repository("v1", version: 1))
        let v2 = try await Mesh.worker(try scratch.repository("v2", version: 2))
        try scratch.writeTwoVersionRoutes(v1, v2, policy: "traffic: {\"1\": 50, \"2\": 50}")
        let gateway = try await Mesh.gateway(scratch)
        let oracles = [1, 2].flatMap { ["--oracle", "\($0)=\(GatewayScratch.exampleModel($0))"] }
        func stream(_ arguments: [String]) async throws -> [String: Any] {
            try await PythonPeer.json("stream_infer_checks.py", [String(gateway.port), "iris"] + arguments + oracles)
        }

        let explicit = try await stream(["--count", "200", "--bad-at", "100", "--version", "2"])
        #expect(explicit["answers"] as? Int == 200)
        #expect(explicit["in_order"] as? Bool == true, "first out of order: \(explicit["first_out_of_order"] ?? "none")")
        let errors = explicit["errors"] as? [String] ?? []
        #expect(errors.count == 1 && errors.first?.hasPrefix("input 'X' has shape [2, 3]") == true, "\(errors)")
        #expect(explicit["versions"] as? [String: Int] == ["2": 199])
        #expect(explicit["model_infer_mismatches"] as? Int == 0)
        #expect(explicit["oracle_checked"] as? Int == 199)
        #expect(explicit["oracle_mismatches"] as? Int == 0, "answers differ from onnxruntime on the answering version")

        // A sticky key keeps every request of the stream on one version.
        for keyArguments in [["--header-key", "caller-7"], ["--routing-key", "caller-8"]] {
            let sticky = try await stream(["--count", "60"] + keyArguments)
            let versions = sticky["versions"] as? [String: Int] ?? [:]
            #expect(versions.count == 1 && versions.values.first == 60, "\(keyArguments): \(versions)")
            #expect(sticky["in_order"] as? Bool == true)
            #expect(sticky["oracle_mismatches"] as? Int == 0)
        }

        // Without a key, each request is drawn on the 50/50 split.
        let split = try await stream(["--count", "100"])
        let versions = split["versions"] as? [String: Int] ?? [:]
        #expect((versions["1"] ?? 0) > 10 && (versions["2"] ?? 0) > 10, "\(versions)")
        #expect(split["in_order"] as? Bool == true)
        #expect(split["oracle_mismatches"] as? Int == 0)

        #expect(await gateway.terminate() == 0)
        _ = await v1.terminate()
        _ = await v2.terminate()
    }

    /// With `--auth-tokens`, a valid token opens the stream and each request's model is checked
    /// on its own: a model outside the token's list fails that request only.
    @Test func bearerTokensGuardTheStreamAndEachRequestsModel() async throws {
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
        // The digest of "secret".
        try """
        tokens:
          - {name: checkout, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, models: [iris]}
        """.write(toFile: tokensPath, atomically: true, encoding: .utf8)
        let gateway = try await Mesh.gateway(scratch, extra: ["--auth-tokens", tokensPath])

        let allowed = try await PythonPeer.json(
            "stream_infer_checks.py",
            [String(gateway.port), "iris", "--count", "20", "--bad-at", "10", "--bad-model", "wine", "--token", "secret"])
        #expect(allowed["answers"] as? Int == 20)
        #expect(allowed["in_order"] as? Bool == true)
        #expect(allowed["errors"] as? [String] == ["this token may not call model \"wine\""])
        #expect(allowed["versions"] as? [String: Int] == ["1": 19])

        let refused = try await PythonPeer.json("stream_infer_checks.py", [String(gateway.port), "iris", "--count", "3"])
        #expect(refused["errors"] as? [String] == ["a bearer token is required (authorization: Bearer TOKEN)"])
        #expect(refused["versions"] as? [String: Int] == [:])

        #expect(await gateway.terminate() == 0)
        _ = await worker.terminate()
    }
}

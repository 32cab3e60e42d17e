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
}

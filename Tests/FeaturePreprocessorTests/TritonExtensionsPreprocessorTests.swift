import Foundation
import InferenceAPI
import RPCCore
import RPCTransport
import TestSupport
import Testing

/// Triton's statistics and repository index on the real preprocessor: each pipeline counts its
/// calls, the index lists the spec files' pipelines, and loads are refused with what to do.
@Suite("feature-preprocessor statistics and repository index")
struct TritonExtensionsPreprocessorTests {
    @Test func statisticsAndIndex() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("scale.yaml", ReloadProcessTests.scaler(version: 3, scale: "[2.0]"))
        try directory.write("broken.yaml", "version: 1\ninputs: []\n")
        let process = try await ServiceProcess.start(
            "feature-preprocessor",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--pipelines", directory.path, "--log-level",
                "critical",
            ])
        let client = RPCClient(host: "127.0.0.1", port: process.port)
        for rows in [2, 3] {
            let request = InferRequest(
                modelName: "scale",
                inputs: [InferTensor(name: "x", shape: [Int64(rows)], values: Array(repeating: 1.0, count: rows))])
            _ = try await client.unary(InferenceMethods.modelInfer, request, as: InferResponse.self)
        }
        let bad = InferRequest(modelName: "scale", inputs: [InferTensor(name: "y", shape: [1], values: [1.0])])
        await #expect(throws: RPCError.self) {
            _ = try await client.unary(InferenceMethods.modelInfer, bad, as: InferResponse.self)
        }

        let stats = try await client.unary(
            InferenceMethods.modelStatistics, ModelStatisticsRequest(name: "scale"), as: ModelStatisticsResponse.self
        ).message.modelStats
        let scale = try #require(stats.first)
        #expect(stats.count == 1 && scale.name == "scale" && scale.version == "3")
        #expect(scale.inferenceStats.success.count == 2 && scale.inferenceStats.fail.count == 1)
        #expect(scale.inferenceCount == 5 && scale.executionCount == 2)
        #expect(scale.batchStats.map(\.batchSize) == [2, 3])

        let index = try await client.unary(
            InferenceMethods.repositoryIndex, RepositoryIndexRequest(), as: RepositoryIndexResponse.self
        ).message.models
        #expect(index.map { [$0.name, $0.version, $0.state] } == [["broken", "", "UNAVAILABLE"], ["scale", "3", "READY"]])
        #expect(index.first?.reason.isEmpty == false)

        await #expect(throws: RPCError.self) {
            _ = try await client.unary(
                InferenceMethods.repositoryModelLoad, RepositoryModelLoadRequest(modelName: "scale"),
                as: RepositoryModelLoadResponse.self)
        }
        do {
            _ = try await client.unary(
                InferenceMethods.repositoryModelUnload, RepositoryModelUnloadRequest(modelName: "scale"),
                as: RepositoryModelUnloadResponse.self)
        } catch {
            #expect(error.code == .unimplemented && error.message.contains("spec files of --pipelines"))
        }
        await client.close()
        #expect(await process.terminate() == 0)
    }
}

import InferenceAPI
import ModelRepository
import ModelWorker
import RPCCore
import TestSupport
import Testing

@Suite("Model worker service (in process)")
struct ModelWorkerServiceTests {
    /// An X input from a fixture's recorded rows (optionally the first `rows`).
    private func input(_ fixture: String, rows: Int? = nil) throws -> InferTensor {
        let x = try #require(try Fixtures.oracle(fixture).inputs["X"])
        let count = rows ?? Int(x.shape[0])
        return InferTensor(name: "X", shape: [Int64(count), 4], values: Array(x.floats.prefix(count * 4)))
    }

    @Test func metadataAndReadiness() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let (worker, _) = try await repository.worker()
        #expect(try await worker.serverLive(.init(), context: testContext).live)
        #expect(try await worker.serverReady(.init(), context: testContext).ready)
        let server = try await worker.serverMetadata(.init(), context: testContext)
        #expect(server.name == "model-worker" && server.extensions.contains("statistics") && !server.version.isEmpty)
        #expect(try await worker.modelReady(.init(name: "iris"), context: testContext).ready)
        #expect(try await worker.modelReady(.init(name: "iris", version: "1"), context: testContext).ready)
        #expect(try await worker.modelReady(.init(name: "iris", version: "2"), context: testContext).ready == false)
        await expectStatus(.notFound) { try await worker.modelReady(.init(name: "wine"), context: testContext) }

        let metadata = try await worker.modelMetadata(.init(name: "iris"), context: testContext)
        #expect(metadata.name == "iris")
        #expect(metadata.versions == ["1"])
        #expect(metadata.platform == "onnx")
        #expect(metadata.inputs == [TensorMetadata(name: "X", datatype: .fp32, shape: [-1, 4])])
        #expect(
            metadata.outputs == [
                TensorMetadata(name: "label", datatype: .int64, shape: [-1]),
                TensorMetadata(name: "probabilities", datatype: .fp32, shape: [-1, 3]),
            ])
        let missing = await expectStatus(.notFound) { try await worker.modelMetadata(.init(name: "nope"), context: testContext) }
        #expect(missing?.message.contains("unknown model 'nope'") == true)

        worker.beginDraining()
        #expect(try await worker.serverReady(.init(), context: testContext).ready == false)
    }

    @Test(arguments: ["logreg_iris", "scaler_logreg_iris", "tree_iris", "forest_iris", "gboost_iris", "logreg_iris_strings"])
    func predictionsEqualOnnxRuntime(fixture: String) async throws {
        let repository = try FixtureRepository()
        try repository.add("m", version: 1, fixture: fixture)
        let (worker, _) = try await repository.worker()
        let expected = try Fixtures.oracle(fixture).outputs
        let response = try await worker.modelInfer(
            InferRequest(modelName: "m", id: "r-\(fixture)", inputs: [try input(fixture)]), context: testContext)
        #expect(response.modelName == "m" && response.modelVersion == "1" && response.id == "r-\(fixture)")
        #expect(response.outputs.map(\.name) == ["label", "probabilities"])
        let label = try #require(response.outputs.first { $0.name == "label" })
        let expectedLabel = try #require(expected["label"])
        #expect(label.shape == expectedLabel.shape)
        if expectedLabel.dtype == "string" {
            #expect(label.datatype == .bytes)
            #expect(try label.bytesElements().map { String(decoding: $0, as: UTF8.self) } == expectedLabel.strings)
        } else {
            #expect(try label.values(as: Int64.self) == expectedLabel.int64s)
        }
        let probabilities = try #require(response.outputs.first { $0.name == "probabilities" })
        let expectedProbabilities = try #require(expected["probabilities"])
        #expect(probabilities.shape == expectedProbabilities.shape)
        #expect(isClose(try probabilities.values(as: Float.self), expectedProbabilities.floats))
    }

    @Test func requestedOutputsSubset() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let (worker, _) = try await repository.worker()
        let response = try await worker.modelInfer(
            InferRequest(
                modelName: "iris", inputs: [try input("logreg_iris", rows: 3)], outputs: [RequestedOutput(name: "probabilities")]),
            context: testContext)
        #expect(response.outputs.map(\.name) == ["probabilities"])
        #expect(response.outputs[0].shape == [3, 3])
        let unknown = await expectStatus(.invalidArgument) {
            try await worker.modelInfer(
                InferRequest(
                    modelName: "iris", inputs: [try input("logreg_iris", rows: 1)], outputs: [RequestedOutput(name: "scores")]),
                context: testContext)
        }
        #expect(unknown?.message.contains("no output 'scores'") == true)
        #expect(unknown?.message.contains("label, probabilities") == true)
    }

    @Test func inputValidationErrorsNameTheInput() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let (worker, _) = try await repository.worker()
        func infer(_ inputs: [InferTensor]) async -> RPCError? {
            await expectStatus(.invalidArgument) {
                try await worker.modelInfer(InferRequest(modelName: "iris", inputs: inputs), context: testContext)
            }
        }
        let good = try input("logreg_iris", rows: 2)

        var renamed = good
        renamed.name = "features"
        #expect(await infer([renamed])?.message.contains("has no input 'features' (inputs: X)") == true)

        let doubles = InferTensor(name: "X", shape: [2, 4], values: [Double](repeating: 1, count: 8))
        #expect(
            await infer([doubles])?.message.contains("input 'X' has datatype FP64, but model 'iris' version 1 expects FP32")
                == true)

        let wide = InferTensor(name: "X", shape: [2, 5], values: [Float](repeating: 1, count: 10))
        #expect(
            await infer([wide])?.message.contains("input 'X' has shape [2, 5], but model 'iris' version 1 expects [-1, 4]")
                == true)

        let flat = InferTensor(name: "X", shape: [8], values: [Float](repeating: 1, count: 8))
        #expect(await infer([flat])?.message.contains("expects [-1, 4]") == true)

        var short = good
        short.data.removeLast(4)
        let shortError = await infer([short])
        #expect(shortError?.message.contains("tensor 'X'") == true)
        #expect(shortError?.message.contains("32 bytes, but data has 28 bytes") == true)

        #expect(await infer([good, good])?.message.contains("input 'X' is given twice") == true)
        #expect(await infer([])?.message.contains("input 'X' is missing") == true)
    }

    @Test func versionSelection() async throws {
        let repository = try FixtureRepository()
        try repository.config("iris", "version_policy: {all: true}")
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        try repository.add("iris", version: 3, fixture: "tree_iris")
        try repository.addRaw("iris", version: 4, contents: Array("not a model".utf8))
        let (worker, _) = try await repository.worker()
        let x = try input("logreg_iris", rows: 20)

        // Empty version: the newest ready one (4 failed to load).
        let newest = try await worker.modelInfer(InferRequest(modelName: "iris", inputs: [x]), context: testContext)
        #expect(newest.modelVersion == "3")
        let tree = try Fixtures.oracle("tree_iris").outputs["probabilities"]!.floats
        #expect(isClose(try newest.outputs[1].values(as: Float.self), tree))

        let first = try await worker.modelInfer(
            InferRequest(modelName: "iris", modelVersion: "1", inputs: [x]), context: testContext)
        #expect(first.modelVersion == "1")
        let logreg = try Fixtures.oracle("logreg_iris").outputs["probabilities"]!.floats
        #expect(isClose(try first.outputs[1].values(as: Float.self), logreg))

        let two = await expectStatus(.notFound) {
            try await worker.modelInfer(InferRequest(modelName: "iris", modelVersion: "2", inputs: [x]), context: testContext)
        }
        #expect(two?.message == "model 'iris' has no version '2' (versions: 1, 3, 4)")
        await expectStatus(.notFound) {
            try await worker.modelInfer(
                InferRequest(modelName: "iris", modelVersion: "latest", inputs: [x]), context: testContext)
        }
        let failed = await expectStatus(.unavailable) {
            try await worker.modelInfer(InferRequest(modelName: "iris", modelVersion: "4", inputs: [x]), context: testContext)
        }
        #expect(failed?.message.contains("model 'iris' version 4 is not available") == true)
        #expect(failed?.message.contains("iris/4/model.onnx") == true)
        let unknown = await expectStatus(.notFound) {
            try await worker.modelInfer(InferRequest(modelName: "wine", inputs: [x]), context: testContext)
        }
        #expect(unknown?.message == "unknown model 'wine' (models: iris)")
        #expect(try await worker.modelReady(.init(name: "iris", version: "4"), context: testContext).ready == false)
        #expect(try await worker.modelMetadata(.init(name: "iris"), context: testContext).versions == ["1", "3"])
    }

    @Test func aModelThatNeverLoadedIsUnavailableWithTheReason() async throws {
        let repository = try FixtureRepository()
        try repository.add("zip", version: 1, fixture: "error_zipmap")
        let (worker, _) = try await repository.worker()
        #expect(try await worker.serverReady(.init(), context: testContext).ready == false)
        let error = await expectStatus(.unavailable) {
            try await worker.modelInfer(InferRequest(modelName: "zip", inputs: []), context: testContext)
        }
        #expect(error?.message.contains("version 1 failed to load") == true)
        #expect(error?.message.contains("ZipMap") == true)
    }

    @Test func nameOverridesFromTheConfig() async throws {
        let repository = try FixtureRepository()
        try repository.config("iris", "inputs: {X: features}\noutputs: {label: class}")
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let (worker, _) = try await repository.worker()
        let metadata = try await worker.modelMetadata(.init(name: "iris"), context: testContext)
        #expect(metadata.inputs.map(\.name) == ["features"])
        #expect(metadata.outputs.map(\.name) == ["class", "probabilities"])
        var x = try input("logreg_iris", rows: 2)
        x.name = "features"
        let response = try await worker.modelInfer(InferRequest(modelName: "iris", inputs: [x]), context: testContext)
        #expect(response.outputs.map(\.name) == ["class", "probabilities"])

        let bad = try FixtureRepository()
        try bad.config("iris", "inputs: {features: X}")
        try bad.add("iris", version: 1, fixture: "logreg_iris")
        let (broken, _) = try await bad.worker()
        let error = await expectStatus(.unavailable) {
            try await broken.modelInfer(InferRequest(modelName: "iris", inputs: [x]), context: testContext)
        }
        #expect(error?.message.contains("inputs renames 'features', which is not a graph input") == true)
    }

    @Test func batchedRequestsMergeAndEachGetsItsOwnRows() async throws {
        let repository = try FixtureRepository()
        try repository.config("iris", "max_batch_size: 8\ndynamic_batching: {max_queue_delay_microseconds: 1000}")
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let clock = ManualClock()
        let (worker, reconciler) = try await repository.worker(clock: BatchingClock(clock))
        let served = try #require(reconciler.store.snapshot.models["iris"]?.newestReady?.loaded)
        let batcher = try #require(served.batcher)
        let all = try input("logreg_iris", rows: 20)
        let rows = try all.values(as: Float.self)
        func slice(_ range: Range<Int>) -> InferTensor {
            InferTensor(
                name: "X", shape: [Int64(range.count), 4], values: Array(rows[range.lowerBound * 4..<range.upperBound * 4]))
        }
        async let a = worker.modelInfer(InferRequest(modelName: "iris", id: "a", inputs: [slice(0..<1)]), context: testContext)
        async let b = worker.modelInfer(InferRequest(modelName: "iris", id: "b", inputs: [slice(1..<4)]), context: testContext)
        async let c = worker.modelInfer(InferRequest(modelName: "iris", id: "c", inputs: [slice(4..<6)]), context: testContext)
        try await eventually { batcher.queuedCount == 3 && clock.sleeperCount == 1 }
        clock.advance(by: .microseconds(1000))
        let responses = try await [a, b, c]
        #expect(batcher.statistics == .init(batches: 1, requests: 3, rows: 6))

        let expected = try Fixtures.oracle("logreg_iris").outputs
        let labels = expected["label"]!.int64s
        let probabilities = expected["probabilities"]!.floats
        for (response, range) in zip(responses, [0..<1, 1..<4, 4..<6]) {
            #expect(try response.outputs[0].values(as: Int64.self) == Array(labels[range]))
            #expect(
                isClose(
                    try response.outputs[1].values(as: Float.self),
                    Array(probabilities[range.lowerBound * 3..<range.upperBound * 3])))
        }
        #expect(responses.map(\.id) == ["a", "b", "c"])

        let tooBig = await expectStatus(.invalidArgument) {
            try await worker.modelInfer(InferRequest(modelName: "iris", inputs: [slice(0..<9)]), context: testContext)
        }
        #expect(tooBig?.message.contains("9 rows, more than max_batch_size 8") == true)
    }

    @Test func batchingNeedsADynamicFirstDimension() async throws {
        let repository = try FixtureRepository()
        try repository.config("a", "max_batch_size: 4")
        // array_feature_extractor's input is [N, 4]; fine. A model with a fixed first dim is refused.
        try repository.add("a", version: 1, fixture: "array_feature_extractor")
        let (worker, _) = try await repository.worker()
        #expect(try await worker.modelReady(.init(name: "a"), context: testContext).ready)
    }
}

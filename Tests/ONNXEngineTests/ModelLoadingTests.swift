import ONNXEngine
import Testing

@Suite("Loading and validating models")
struct ModelLoadingTests {
    func loadError(_ name: String) -> ONNXError? {
        do {
            _ = try ONNXModel(contentsOfFile: "\(fixturesDirectory)/\(name).onnx")
            return nil
        } catch {
            return error
        }
    }

    @Test("an unknown operator names the node, op type and domain")
    func unknownOperator() throws {
        let error = try #require(loadError("error_unknown_op"))
        #expect(error.kind == .unsupported)
        #expect(error.message.contains("'fancy'"))
        #expect(error.message.contains("'FancyOp'"))
        #expect(error.message.contains("com.example"))
    }

    @Test("a cycle is reported with the nodes on it")
    func cycle() throws {
        let error = try #require(loadError("error_cycle"))
        #expect(error.kind == .invalidModel)
        #expect(error.message.contains("cycle"))
        #expect(error.message.contains("'first'") && error.message.contains("'second'"))
    }

    @Test("a missing initializer names the value, the node and the input index")
    func missingInitializer() throws {
        let error = try #require(loadError("error_missing_initializer"))
        #expect(error.kind == .invalidModel)
        #expect(error.message.contains("'bias'"))
        #expect(error.message.contains("'add_bias'"))
        #expect(error.message.contains("input 1"))
    }

    @Test("ZipMap is refused with advice to export with zipmap=False")
    func zipMapRefused() throws {
        let error = try #require(loadError("error_zipmap"))
        #expect(error.kind == .unsupported)
        #expect(error.message.contains("zipmap=False"))
        #expect(error.message.contains("'zipper'"))
    }

    @Test("truncated model bytes are rejected, not crashed on", arguments: [1, 10, 50, 100, 300])
    func truncated(_ length: Int) throws {
        let bytes = readBytes("\(fixturesDirectory)/forest_iris.onnx")
        #expect(bytes.count > 300)
        #expect(throws: ONNXError.self) { try ONNXModel(bytes: Array(bytes.prefix(length))) }
    }

    @Test("empty bytes are not a model")
    func emptyBytes() {
        #expect(throws: ONNXError.self) { try ONNXModel(bytes: []) }
    }

    @Test("inputs are checked by name, type and fixed dimensions")
    func inputChecks() throws {
        let model = try ONNXModel(contentsOfFile: "\(fixturesDirectory)/logreg_iris.onnx")
        func runError(_ inputs: [String: Tensor]) -> ONNXError? {
            do { _ = try model.run(inputs); return nil } catch { return error }
        }
        #expect(runError([:])?.message.contains("input 'X' is missing") == true)
        #expect(runError(["X": Tensor(shape: [1, 4], doubles: [1, 2, 3, 4])])?.message.contains("tensor(double)") == true)
        #expect(runError(["X": Tensor(shape: [1, 3], floats: [1, 2, 3])])?.message.contains("expects 4 at dimension 1") == true)
        #expect(
            runError(["X": Tensor(shape: [1, 4], floats: [1, 2, 3, 4]), "Z": Tensor(shape: [1], floats: [1])])?
                .message.contains("'Z' is not an input") == true)
    }

    @Test("the element limit is enforced before allocating")
    func elementLimit() throws {
        let model = try ONNXModel(
            contentsOfFile: "\(fixturesDirectory)/logreg_iris.onnx", limits: ONNXLimits(maxElementCount: 16))
        #expect(throws: ONNXError.self) { try model.run(["X": Tensor(shape: [5, 4], floats: .init(repeating: 1, count: 20))]) }
        let error = try #require(throws: ONNXError.self) {
            try ONNXModel(contentsOfFile: "\(fixturesDirectory)/forest_iris.onnx", limits: ONNXLimits(maxModelBytes: 100))
        }
        #expect(error.kind == .limitExceeded)
    }
}

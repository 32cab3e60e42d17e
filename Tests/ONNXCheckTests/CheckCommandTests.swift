import Foundation
import ONNXCheck
import ONNXEngine
import TestSupport
import Testing

/// The committed engine fixtures (written by Tests/ONNXEngineTests/Fixtures/make_models.py).
let engineFixtures = PythonPeer.repositoryRoot.appendingPathComponent("Tests/ONNXEngineTests/Fixtures").path

@Suite("onnx-check runs the engine and prints JSON")
struct CheckCommandTests {
    func rowsFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rows-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func printsEveryOutputInGraphOrder() throws {
        let rows = try rowsFile("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
        defer { try? FileManager.default.removeItem(atPath: rows) }
        let model = "\(engineFixtures)/forest_iris.onnx"
        let outcome = try CheckCommand(arguments: [model, "--rows", rows]).run()
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let outputs = try #require(root["outputs"] as? [[String: Any]])
        #expect(outputs.compactMap { $0["name"] as? String } == ["label", "probabilities"])
        #expect(outputs[1]["shape"] as? [Int] == [2, 3])
        // The same numbers the engine gives in process.
        let direct = try ONNXModel(contentsOfFile: model).run(
            ["X": Tensor(shape: [2, 4], floats: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3])])
        let printed = try #require(outputs[1]["data"] as? [Double]).map(Float.init)
        #expect(printed == direct["probabilities"]?.floats)
        #expect(outputs[0]["data"] as? [Int64] == direct["label"]?.int64s)
    }

    @Test func missingValuesReachTheModelAsNaN() throws {
        let rows = try rowsFile("nan,,1.4,0.2\n")
        defer { try? FileManager.default.removeItem(atPath: rows) }
        let model = "\(engineFixtures)/forest_iris.onnx"
        let outcome = try CheckCommand(arguments: [model, "--rows", rows]).run()
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let outputs = try #require(root["outputs"] as? [[String: Any]])
        let direct = try ONNXModel(contentsOfFile: model).run(["X": Tensor(shape: [1, 4], floats: [.nan, .nan, 1.4, 0.2])])
        #expect(try #require(outputs[1]["data"] as? [Double]).map(Float.init) == direct["probabilities"]?.floats)
    }

    @Test func badFilesAndInputsAreReported() throws {
        let missing = try CheckCommand(arguments: ["m.onnx", "--rows", "/no/such/rows.csv"]).run()
        #expect(missing.status == 2 && missing.stderr == "onnx-check: cannot read /no/such/rows.csv")
        let rows = try rowsFile("1,2\n")
        defer { try? FileManager.default.removeItem(atPath: rows) }
        let noModel = try CheckCommand(arguments: ["/no/such/model.onnx", "--rows", rows]).run()
        #expect(noModel.status == 1 && noModel.stderr == "onnx-check: /no/such/model.onnx: cannot open '/no/such/model.onnx'")
        let narrow = try CheckCommand(arguments: ["\(engineFixtures)/forest_iris.onnx", "--rows", rows]).run()
        #expect(narrow.status == 1 && narrow.stderr.contains("forest_iris.onnx: "), "\(narrow.stderr)")
        let wrongName = try CheckCommand(arguments: ["\(engineFixtures)/forest_iris.onnx", "--rows", rows, "--input", "Y"]).run()
        #expect(wrongName.stderr.hasSuffix("the model has no input 'Y' (inputs: X)"))
    }

    @Test func theExecutableExitsWithTheRightStatus() async throws {
        let help = try await ExecutableRun.run("onnx-check", ["--help"])
        #expect(help.status == 0 && help.stdout.hasPrefix("usage: onnx-check"))
        let usage = try await ExecutableRun.run("onnx-check", ["--bogus"])
        #expect(usage.status == 2 && usage.stderr.hasPrefix("onnx-check: unknown option --bogus"))
    }
}

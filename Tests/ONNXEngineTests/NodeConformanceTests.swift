import Foundation
import ONNXEngine
import Testing

/// The ONNX node conformance tests of Debian's libonnx-testdata that the engine can run.
enum NodeConformance {
    static let root = "/usr/share/libonnx-testdata/data/node"

    /// Every test directory whose model uses only operators and features the engine implements.
    static let selected: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().filter { name in
            let bytes = readBytes("\(root)/\(name)/model.onnx")
            guard let ops = try? ONNXModel.operators(inModelBytes: bytes), !ops.isEmpty,
                ops.allSatisfy({ ONNXModel.supportsOperator(domain: $0.domain, opType: $0.opType) })
            else { return false }
            // A model the engine refuses as unsupported (an attribute, type or opset it lacks) is skipped;
            // any other load failure stays selected, so it fails below.
            do {
                _ = try ONNXModel(bytes: bytes)
            } catch let error as ONNXError where error.kind == .unsupported {
                return false
            } catch {}
            return true
        }
    }()

    /// The fewest directories the selection may cover, so coverage cannot shrink unnoticed.
    static let minimumCovered = 326
}

@Suite("ONNX node conformance (libonnx-testdata)")
struct NodeConformanceTests {
    @Test("covers at least the recorded number of node tests")
    func coverage() {
        #expect(
            NodeConformance.selected.count >= NodeConformance.minimumCovered,
            "only \(NodeConformance.selected.count) node tests are covered")
    }

    @Test("matches the expected outputs", arguments: NodeConformance.selected)
    func nodeTest(_ name: String) throws {
        let directory = "\(NodeConformance.root)/\(name)"
        let model = try ONNXModel(bytes: readBytes("\(directory)/model.onnx"))
        let data = "\(directory)/test_data_set_0"
        var inputs: [String: Tensor] = [:]
        var index = 0
        while FileManager.default.fileExists(atPath: "\(data)/input_\(index).pb") {
            let bytes = readBytes("\(data)/input_\(index).pb")
            let protoName = Tensor.tensorProtoName(bytes)
            let name = model.inputs.contains { $0.name == protoName } ? protoName : model.inputs[index].name
            inputs[name] = try Tensor(tensorProtoBytes: bytes)
            index += 1
        }
        let outputs = try model.run(inputs)
        for (position, info) in model.outputs.enumerated() {
            let expected = try Tensor(tensorProtoBytes: readBytes("\(data)/output_\(position).pb"))
            let actual = try #require(outputs[info.name], "output '\(info.name)' missing")
            #expect(mismatch(actual, expected) == nil, "output '\(info.name)': \(mismatch(actual, expected) ?? "")")
        }
    }
}

import Foundation
import ONNXEngine
import Testing

/// A fixture written by Fixtures/make_models.py: inputs and onnxruntime's outputs.
struct OracleFixture {
    var inputs: [String: Tensor]
    var outputs: [String: Tensor]

    init(name: String) throws {
        let data = try #require(FileManager.default.contents(atPath: "\(fixturesDirectory)/\(name).json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func tensors(_ key: String) throws -> [String: Tensor] {
            let entries = try #require(root[key] as? [String: Any])
            return try entries.mapValues { try Self.tensor(#require($0 as? [String: Any])) }
        }
        inputs = try tensors("inputs")
        outputs = try tensors("outputs")
    }

    static func tensor(_ json: [String: Any]) throws -> Tensor {
        let shape = try #require(json["shape"] as? [Int])
        let data = try #require(json["data"] as? [Any])
        // JSON has no NaN or infinity: make_models.py writes them as strings.
        func numbers() throws -> [Double] {
            try data.map { value in
                if let text = value as? String { return try #require(Double(text)) }
                return try #require((value as? NSNumber)?.doubleValue)
            }
        }
        switch json["dtype"] as? String {
        case "float32": return Tensor(shape: shape, floats: try numbers().map(Float.init))
        case "float64": return Tensor(shape: shape, doubles: try numbers())
        case "int64": return Tensor(shape: shape, int64s: try data.map { try #require(($0 as? NSNumber)?.int64Value) })
        case "string": return Tensor(shape: shape, strings: try data.map { try #require($0 as? String) })
        case "bool":
            return Tensor(
                shape: shape,
                storage: .bool(
                    try data.map { value -> Bool in
                        let number = try #require(value as? NSNumber)
                        return number.boolValue
                    }))
        case let other: throw ONNXError(.unsupported, "fixture dtype \(other ?? "nil")")
        }
    }
}

@Suite("scikit-learn models exported by skl2onnx, against onnxruntime")
struct ScikitLearnOracleTests {
    static let models = [
        "logreg_iris", "logreg_iris_strings", "logreg_binary", "scaler_logreg_iris", "linreg_diabetes", "ridge_diabetes",
        "tree_iris", "forest_iris", "tree_diabetes", "forest_diabetes", "gboost_binary", "gboost_iris", "gboost_diabetes",
        "imputer_normalizer_linreg", "binarizer_logreg", "array_feature_extractor",
        "svc_iris", "svc_iris_proba", "svc_iris_strings_proba", "svc_iris_poly", "svc_iris_linear_proba", "svc_iris_sigmoid",
        "svc_binary", "svc_binary_proba", "svr_diabetes", "svr_diabetes_linear", "onehot_pipeline", "onehot_strings_pipeline",
        "label_encoder_string_int", "label_encoder_int_string", "label_encoder_float_float", "label_encoder_v1_strings",
        "label_encoder_v1_ints", "label_encoder_tensors", "one_hot_strings", "one_hot_doubles",
        "mlp_iris", "mlp_diabetes", "mlp_digits", "gboost_cancer",
        "svm_linear_softmax", "svm_linear_binary", "svm_rbf_softmax_zero", "svm_poly_binary_logistic", "svm_poly_binary_softmax",
    ]

    @Test("outputs equal onnxruntime's (1e-5 relative, labels exactly)", arguments: models)
    func matchesOnnxRuntime(_ name: String) throws {
        let model = try ONNXModel(contentsOfFile: "\(fixturesDirectory)/\(name).onnx")
        let fixture = try OracleFixture(name: name)
        let outputs = try model.run(fixture.inputs)
        #expect(Set(outputs.keys) == Set(fixture.outputs.keys))
        for (outputName, expected) in fixture.outputs {
            let actual = try #require(outputs[outputName], "output '\(outputName)' missing")
            let difference = mismatch(actual, expected, rtol: 1e-5, atol: 1e-5)
            #expect(difference == nil, "output '\(outputName)': \(difference ?? "")")
        }
    }

    @Test("a batch of one row gives the same row as the full batch")
    func batchDimensionIsDynamic() throws {
        let model = try ONNXModel(contentsOfFile: "\(fixturesDirectory)/forest_iris.onnx")
        let fixture = try OracleFixture(name: "forest_iris")
        let all = try #require(fixture.inputs["X"]?.floats)
        let one = try model.run(["X": Tensor(shape: [1, 4], floats: Array(all[4..<8]))])
        let probabilities = try #require(one["probabilities"]?.floats)
        let expected = try #require(fixture.outputs["probabilities"]?.floats)
        #expect(probabilities.count == 3)
        for i in 0..<3 { #expect(abs(probabilities[i] - expected[3 + i]) <= 1e-5) }
    }
}

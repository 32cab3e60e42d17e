import ONNXEngine
import Testing

@Suite("OneHotEncoder, LabelEncoder and SVM refusals")
struct EncoderAndSVMErrorTests {
    func load(_ name: String) throws -> ONNXModel { try ONNXModel(contentsOfFile: "\(fixturesDirectory)/\(name).onnx") }

    @Test("OneHotEncoder with zeros=0 refuses an unknown category, naming the value and the node")
    func oneHotRefusesUnknown() throws {
        let model = try load("one_hot_refuse_unknown")
        let known = try model.run(["X": Tensor(shape: [2], int64s: [2, 1])])
        #expect(known["Y"] == Tensor(shape: [2, 2], floats: [0, 1, 1, 0]))
        let error = try #require(throws: ONNXError.self) { try model.run(["X": Tensor(shape: [2], int64s: [1, 3])]) }
        #expect(error.kind == .invalidInput)
        #expect(error.message.contains("'one_hot_refuse_unknown'"))
        #expect(error.message.contains("value 3 is not one of the 2 categories"))
        #expect(error.message.contains("'zeros' is 0"))
    }

    @Test("an SVM kernel the engine lacks is refused at load, naming the op, node and kernel")
    func unknownKernel() throws {
        let error = try #require(throws: ONNXError.self) { try load("error_svm_kernel") }
        #expect(error.kind == .unsupported)
        #expect(error.message.contains("'svr'") && error.message.contains("SVMRegressor"))
        #expect(error.message.contains("kernel_type 'LAPLACE'"))
    }

    @Test("a LabelEncoder keys_tensor of an unsupported type is refused, naming the attribute")
    func labelEncoderTensorType() throws {
        let error = try #require(throws: ONNXError.self) { try load("error_label_encoder_tensor") }
        #expect(error.kind == .unsupported)
        #expect(error.message.contains("'encode'") && error.message.contains("LabelEncoder"))
        #expect(error.message.contains("'keys_tensor'"))
    }
}

import InferenceAPI
import RPCCore
import Testing

@Suite("InferTensor")
struct InferTensorTests {
    @Test func datatypesKnowTheirSizesAndFields() throws {
        #expect(TensorDataType.fp32.elementByteSize == 4)
        #expect(TensorDataType.bf16.elementByteSize == 2)
        #expect(TensorDataType.bytes.elementByteSize == nil)
        #expect(TensorDataType.uint16.contentsFieldName == "uint_contents")
        #expect(TensorDataType.fp16.contentsFieldName == nil)
        #expect(try TensorDataType(wireName: "INT64", tensor: "input 'x'") == .int64)
        #expect(throws: RPCError.self) { try TensorDataType(wireName: "fp32", tensor: "input 'x'") }
    }

    @Test func valuesRoundTripThroughLittleEndianData() throws {
        let tensor = InferTensor(name: "x", shape: [2], values: [Int32(1), -2])
        #expect(tensor.datatype == .int32)
        #expect(tensor.data == [1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF])
        #expect(try tensor.values(as: Int32.self) == [1, -2])
        #expect(try tensor.elementCount() == 2)
    }

    @Test func readingTheWrongTypeNamesTheTensor() {
        let tensor = InferTensor(name: "x", shape: [1], values: [Double(1)])
        #expect(throws: RPCError(.invalidArgument, "tensor 'x' has datatype FP64, expected FP32")) {
            try tensor.values(as: Float.self)
        }
    }

    @Test func validateChecksDataAgainstShape() throws {
        try InferTensor(name: "ok", shape: [2, 0], values: [Float]()).validate()
        let short = InferTensor(name: "short", datatype: .fp32, shape: [2], data: [0, 0, 0, 0])
        #expect(throws: RPCError.self) { try short.validate() }
        let negative = InferTensor(name: "neg", datatype: .fp32, shape: [-2], data: [])
        #expect(throws: RPCError.self) { try negative.elementCount() }
    }

    @Test func boolsAndBytesElements() throws {
        #expect(try InferTensor(name: "b", shape: [2], bools: [false, true]).bools() == [false, true])
        let strings = InferTensor(name: "s", shape: [2], bytesElements: [Array("a".utf8), Array("bc".utf8)])
        #expect(try strings.bytesElements() == [Array("a".utf8), Array("bc".utf8)])
    }
}

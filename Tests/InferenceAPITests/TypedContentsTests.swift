import RPCCore
import Testing

@testable import InferenceAPI

/// Typed `contents` written by hand (not by our encoder) must decode to the same raw bytes that
/// `raw_input_contents` carries.
@Suite("Typed contents")
struct TypedContentsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let datatype: String
        /// Writes the typed values into an `InferTensorContents`.
        let contents: @Sendable (inout ProtoWriter) -> Void
        /// The same values as a tensor built from Swift values.
        let expected: InferTensor
        var testDescription: String { datatype }
    }

    static let cases: [Case] = [
        Case(
            datatype: "BOOL", contents: { $0.packedVarints(1, [1, 0, 1]) },
            expected: InferTensor(name: "x", shape: [3], bools: [true, false, true])),
        Case(
            datatype: "INT8", contents: { $0.packedVarints(2, [UInt64(bitPattern: -128), 0, 127]) },
            expected: InferTensor(name: "x", shape: [3], values: [Int8(-128), 0, 127])),
        Case(
            datatype: "INT16", contents: { $0.packedVarints(2, [UInt64(bitPattern: -32768), 32767, 5]) },
            expected: InferTensor(name: "x", shape: [3], values: [Int16.min, Int16.max, 5])),
        Case(
            datatype: "INT32", contents: { $0.packedVarints(2, [UInt64(bitPattern: Int64(Int32.min)), 1, 2]) },
            expected: InferTensor(name: "x", shape: [3], values: [Int32.min, 1, 2])),
        Case(
            datatype: "INT64", contents: { $0.packedVarints(3, [UInt64(bitPattern: Int64.min), 1, UInt64(Int64.max)]) },
            expected: InferTensor(name: "x", shape: [3], values: [Int64.min, 1, Int64.max])),
        Case(
            datatype: "UINT8", contents: { $0.packedVarints(4, [0, 128, 255]) },
            expected: InferTensor(name: "x", shape: [3], values: [UInt8(0), 128, 255])),
        Case(
            datatype: "UINT16", contents: { $0.packedVarints(4, [0, 1, 65535]) },
            expected: InferTensor(name: "x", shape: [3], values: [UInt16(0), 1, 65535])),
        Case(
            datatype: "UINT32", contents: { $0.packedVarints(4, [0, 1, UInt64(UInt32.max)]) },
            expected: InferTensor(name: "x", shape: [3], values: [UInt32(0), 1, UInt32.max])),
        Case(
            datatype: "UINT64", contents: { $0.packedVarints(5, [0, 1, UInt64.max]) },
            expected: InferTensor(name: "x", shape: [3], values: [UInt64(0), 1, UInt64.max])),
        Case(
            datatype: "FP32", contents: { $0.packedFixed(6, [Float(1.5), -0.0, .nan]) },
            expected: InferTensor(name: "x", shape: [3], values: [Float(1.5), -0.0, .nan])),
        Case(
            datatype: "FP64", contents: { $0.packedFixed(7, [Double(1.5), -1e300, .infinity]) },
            expected: InferTensor(name: "x", shape: [3], values: [Double(1.5), -1e300, .infinity])),
        Case(
            datatype: "BYTES",
            contents: { writer in
                writer.bytes(8, Array("cat".utf8))
                writer.bytes(8, [])
                writer.bytes(8, [0, 1, 2, 3, 4])
            },
            expected: InferTensor(name: "x", shape: [3], bytesElements: [Array("cat".utf8), [], [0, 1, 2, 3, 4]])),
    ]

    @Test(arguments: cases)
    func typedContentsDecodeToRawBytes(_ testCase: Case) throws {
        let typed = ProtoWriter.request(
            inputs: [ProtoWriter.tensor(name: "x", datatype: testCase.datatype, shape: [3], contents: testCase.contents)])
        let raw = ProtoWriter.request(
            inputs: [ProtoWriter.tensor(name: "x", datatype: testCase.datatype, shape: [3])],
            raw: [testCase.expected.data])
        let fromTyped = try InferRequest(wireBytes: typed)
        let fromRaw = try InferRequest(wireBytes: raw)
        #expect(fromTyped.inputs == [testCase.expected])
        #expect(fromRaw.inputs == [testCase.expected])
    }

    @Test func bytesContentsBecomeLengthPrefixedRawData() throws {
        let request = ProtoWriter.request(inputs: [
            ProtoWriter.tensor(name: "s", datatype: "BYTES", shape: [2]) { writer in
                writer.bytes(8, Array("hi".utf8))
                writer.bytes(8, [7])
            }
        ])
        let decoded = try InferRequest(wireBytes: request)
        #expect(decoded.inputs[0].data == [2, 0, 0, 0, 104, 105, 1, 0, 0, 0, 7])
        #expect(try decoded.inputs[0].bytesElements() == [Array("hi".utf8), [7]])
    }

    @Test func typedOutputsOfAResponseDecodeLikeRawOnes() throws {
        let response = InferResponse(
            modelName: "m", modelVersion: "1", id: "a", parameters: ["sequence_end": true],
            outputs: InferRequestTests.sampleRequest().inputs)
        let typed = response.wireBytes(useTypedContents: true)
        #expect(typed != response.wireBytes())
        #expect(try InferResponse(wireBytes: typed) == response)
    }
}

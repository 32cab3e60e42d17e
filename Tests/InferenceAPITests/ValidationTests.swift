import RPCCore
import Testing

@testable import InferenceAPI

/// Bad tensors are INVALID_ARGUMENT naming the tensor at fault, never a crash.
@Suite("Request validation")
struct ValidationTests {
    private func expectInvalid(
        _ bytes: [UInt8], mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = decodeError(bytes)
        #expect(error?.code == .invalidArgument, "\(String(describing: error))", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(
                error?.message.contains(fragment) == true, "\(String(describing: error)) lacks \(fragment)",
                sourceLocation: sourceLocation)
        }
    }

    @Test func rawSizeMustMatchShape() {
        let bytes = ProtoWriter.request(
            inputs: [ProtoWriter.tensor(name: "features", datatype: "FP32", shape: [2, 3])],
            raw: [[UInt8](repeating: 0, count: 20)])
        expectInvalid(bytes, mentioning: ["input 'features'", "[2, 3]", "24 bytes", "20 bytes", "raw_input_contents[0]"])
    }

    @Test func typedCountMustMatchShape() {
        let bytes = ProtoWriter.request(inputs: [
            ProtoWriter.tensor(name: "ids", datatype: "INT64", shape: [4]) { $0.packedVarints(3, [1, 2, 3]) }
        ])
        expectInvalid(bytes, mentioning: ["input 'ids'", "needs 4 elements", "int64_contents has 3"])
    }

    @Test func missingDataIsACountMismatch() {
        let bytes = ProtoWriter.request(inputs: [ProtoWriter.tensor(name: "x", datatype: "FP32", shape: [2])])
        expectInvalid(bytes, mentioning: ["input 'x'", "needs 2 elements", "fp32_contents has 0"])
    }

    @Test func negativeDimensionsAreRejected() {
        let bytes = ProtoWriter.request(inputs: [
            ProtoWriter.tensor(name: "x", datatype: "FP32", shape: [2, -1]) { $0.packedFixed(6, [Float(1), 2]) }
        ])
        expectInvalid(bytes, mentioning: ["input 'x'", "negative dimension", "[2, -1]"])
    }

    @Test func overflowingShapesAreRejected() {
        let huge = ProtoWriter.request(
            inputs: [ProtoWriter.tensor(name: "x", datatype: "FP32", shape: [Int64.max, 4])], raw: [[]])
        expectInvalid(huge, mentioning: ["input 'x'", "too many elements"])
        // Fits as an element count, but not as a byte count.
        let bytesOverflow = ProtoWriter.request(
            inputs: [ProtoWriter.tensor(name: "y", datatype: "FP64", shape: [Int64.max / 4])], raw: [[]])
        expectInvalid(bytesOverflow, mentioning: ["input 'y'", "too many elements"])
    }

    @Test func rawContentsNeedOneEntryPerInput() {
        let bytes = ProtoWriter.request(
            inputs: [
                ProtoWriter.tensor(name: "a", datatype: "UINT8", shape: [1]),
                ProtoWriter.tensor(name: "b", datatype: "UINT8", shape: [1]),
            ],
            raw: [[1]])
        expectInvalid(bytes, mentioning: ["raw_input_contents has 1 entries", "2 inputs"])
    }

    @Test func wrongContentsFieldForDatatype() {
        let bytes = ProtoWriter.request(inputs: [
            ProtoWriter.tensor(name: "x", datatype: "FP32", shape: [2]) { $0.packedVarints(2, [1, 2]) }
        ])
        expectInvalid(bytes, mentioning: ["input 'x'", "FP32", "fp32_contents", "int_contents is set"])
    }

    @Test func typedContentsForFP16AreRejected() {
        let bytes = ProtoWriter.request(inputs: [
            ProtoWriter.tensor(name: "h", datatype: "FP16", shape: [1]) { $0.packedFixed(6, [Float(1)]) }
        ])
        expectInvalid(bytes, mentioning: ["input 'h'", "FP16", "raw_input_contents"])
        let noData = ProtoWriter.request(inputs: [ProtoWriter.tensor(name: "h", datatype: "FP16", shape: [1])])
        expectInvalid(noData, mentioning: ["input 'h'", "raw_input_contents"])
    }

    @Test func contentsAlongsideRawContentsAreRejected() {
        let bytes = ProtoWriter.request(
            inputs: [ProtoWriter.tensor(name: "x", datatype: "UINT8", shape: [1]) { $0.packedVarints(4, [1]) }],
            raw: [[1]])
        expectInvalid(bytes, mentioning: ["input 'x'", "uint_contents", "raw_input_contents"])
    }

    @Test func outOfRangeNarrowIntegersAreRejected() {
        let bytes = ProtoWriter.request(inputs: [
            ProtoWriter.tensor(name: "small", datatype: "INT8", shape: [2]) { $0.packedVarints(2, [1, 300]) }
        ])
        expectInvalid(bytes, mentioning: ["input 'small'", "int_contents[1] = 300", "INT8"])
    }

    @Test func unknownDatatypeIsRejected() {
        let bytes = ProtoWriter.request(
            inputs: [ProtoWriter.tensor(name: "x", datatype: "FP8", shape: [1])], raw: [[0]])
        expectInvalid(bytes, mentioning: ["input 'x'", "unknown datatype 'FP8'"])
    }

    @Test func malformedRawBytesAreRejected() {
        let tensor = ProtoWriter.tensor(name: "s", datatype: "BYTES", shape: [2])
        expectInvalid(
            ProtoWriter.request(inputs: [tensor], raw: [[5, 0, 0, 0, 1, 2]]),
            mentioning: ["input 's'", "declares 5 bytes"])
        expectInvalid(
            ProtoWriter.request(inputs: [tensor], raw: [[1, 0, 0, 0, 9, 2, 0]]),
            mentioning: ["input 's'", "truncated"])
        expectInvalid(
            ProtoWriter.request(inputs: [tensor], raw: [[1, 0, 0, 0, 9]]),
            mentioning: ["input 's'", "needs 2 elements", "holds 1"])
    }

    @Test func responseOutputsAreValidatedToo() {
        var writer = ProtoWriter()
        writer.string(1, "m")
        writer.bytes(5, ProtoWriter.tensor(name: "y", datatype: "FP32", shape: [3]))
        writer.bytes(6, [0, 0, 0, 0])
        #expect(throws: RPCError.self) { try InferResponse(wireBytes: writer.bytes) }
        do {
            _ = try InferResponse(wireBytes: writer.bytes)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("output 'y'"))
            #expect(error.message.contains("raw_output_contents[0]"))
        }
    }
}

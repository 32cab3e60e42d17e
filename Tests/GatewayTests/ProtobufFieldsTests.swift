import InferenceAPI
import RPCCore
import Testing

@testable import Gateway

@Suite("ModelInfer rewriting without decoding tensors")
struct ProtobufFieldsTests {
    static let request = InferRequest(
        modelName: "iris", modelVersion: "2", id: "req-1",
        parameters: ["routing_key": .string("user-42"), "limit": .int64(3)],
        inputs: [InferTensor(name: "X", datatype: .fp32, shape: [1, 2], data: [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])])

    @Test func readsRoutingFieldsAndRewritesOnlyTheNames() throws {
        let fields = try ProtobufFields(Self.request.wireBytes(), messageName: "request")
        #expect(fields.string(1) == "iris")
        #expect(fields.string(2) == "2")
        #expect(fields.string(3) == "req-1")
        #expect(fields.stringParameter(4, key: "routing_key") == "user-42")
        #expect(fields.stringParameter(4, key: "limit") == nil, "an int64 parameter is not a string")
        #expect(fields.stringParameter(4, key: "absent") == nil)

        let rewritten = fields.rewriting([(1, "iris-logreg"), (2, "")])
        let decoded = try rewritten.withUnsafeBytes { buffer throws(RPCError) in try InferRequest(wireBytes: buffer) }
        var expected = Self.request
        expected.modelName = "iris-logreg"
        expected.modelVersion = ""
        #expect(decoded == expected)
    }

    @Test(arguments: [[0x0a, 0x05, 0x69], [0x0f], [0x08], [0x00, 0x01]] as [[UInt8]])
    func malformedBytesAreInternal(bytes: [UInt8]) {
        #expect(throws: RPCError(.internal, "could not decode request: invalid protobuf")) {
            try ProtobufFields(bytes, messageName: "request")
        }
    }
}

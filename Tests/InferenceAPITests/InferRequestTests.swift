import RPCCore
import Testing

@testable import InferenceAPI

@Suite("InferRequest")
struct InferRequestTests {
    static let allParameterKinds: [String: InferParameter] = [
        "flag": .bool(true), "off": .bool(false), "count": .int64(-42), "name": .string("héllo"),
        "empty": .string(""), "ratio": .double(0.25), "big": .uint64(UInt64.max),
    ]

    static func sampleRequest() -> InferRequest {
        InferRequest(
            modelName: "iris", modelVersion: "2", id: "req-1", parameters: allParameterKinds,
            inputs: [
                InferTensor(name: "X", shape: [2, 2], values: [Float(1.5), -2, 3, .infinity], parameters: ["p": 7]),
                InferTensor(name: "d", shape: [1], values: [Double.pi]),
                InferTensor(name: "i8", shape: [3], values: [Int8.min, 0, Int8.max]),
                InferTensor(name: "i16", shape: [2], values: [Int16.min, Int16.max]),
                InferTensor(name: "i32", shape: [2], values: [Int32.min, Int32.max]),
                InferTensor(name: "i64", shape: [2], values: [Int64.min, Int64.max]),
                InferTensor(name: "u8", shape: [2], values: [UInt8.min, UInt8.max]),
                InferTensor(name: "u16", shape: [2], values: [UInt16.min, UInt16.max]),
                InferTensor(name: "u32", shape: [2], values: [UInt32.min, UInt32.max]),
                InferTensor(name: "u64", shape: [2], values: [UInt64.min, UInt64.max]),
                InferTensor(name: "b", shape: [3], bools: [true, false, true]),
                InferTensor(name: "s", shape: [3], bytesElements: [Array("ab".utf8), [], [0, 255]]),
                InferTensor(name: "scalar", shape: [], values: [Float(9)]),
                InferTensor(name: "none", shape: [0, 4], values: [Float]()),
            ],
            outputs: [RequestedOutput(name: "probabilities", parameters: ["top_k": 3]), RequestedOutput(name: "label")])
    }

    @Test func roundTripsWithRawContents() throws {
        let request = Self.sampleRequest()
        #expect(try InferRequest(wireBytes: request.wireBytes()) == request)
    }

    @Test func roundTripsWithTypedContents() throws {
        let request = Self.sampleRequest()
        let typed = request.wireBytes(useTypedContents: true)
        #expect(typed != request.wireBytes())
        #expect(try InferRequest(wireBytes: typed) == request)
    }

    @Test func typedEncodingFallsBackToRawForFP16() throws {
        var request = Self.sampleRequest()
        request.inputs.append(InferTensor(name: "h", datatype: .fp16, shape: [2], data: [0, 60, 0, 188]))
        #expect(request.wireBytes(useTypedContents: true) == request.wireBytes())
        #expect(try InferRequest(wireBytes: request.wireBytes(useTypedContents: true)) == request)
    }

    @Test func emptyRequestRoundTrips() throws {
        let request = InferRequest(modelName: "")
        #expect(try InferRequest(wireBytes: request.wireBytes()) == request)
        #expect(try InferRequest(wireBytes: [UInt8]()) == request)
    }

    @Test func manyInputsRoundTrip() throws {
        // More inputs than the encoder pins without copying.
        let inputs = (0..<200).map { InferTensor(name: "in\($0)", shape: [1], values: [Int32($0)]) }
        let request = InferRequest(modelName: "wide", inputs: inputs)
        #expect(try InferRequest(wireBytes: request.wireBytes()) == request)
        #expect(try InferRequest(wireBytes: request.wireBytes(useTypedContents: true)) == request)
    }

    @Test func encodingIsDeterministic() {
        let request = Self.sampleRequest()
        #expect(request.wireBytes() == Self.sampleRequest().wireBytes())
    }

    @Test func parametersOfEveryKindRoundTripAtEveryLevel() throws {
        let parameters = Self.allParameterKinds
        let request = InferRequest(
            modelName: "m", parameters: parameters,
            inputs: [InferTensor(name: "x", shape: [1], values: [Float(1)], parameters: parameters)],
            outputs: [RequestedOutput(name: "y", parameters: parameters)])
        let decoded = try InferRequest(wireBytes: request.wireBytes())
        #expect(decoded.parameters == parameters)
        #expect(decoded.inputs[0].parameters == parameters)
        #expect(decoded.outputs[0].parameters == parameters)
    }

    @Test func rejectsParameterWithoutValue() {
        var writer = ProtoWriter()
        writer.string(1, "m")
        writer.nested(4) { entry in
            entry.string(1, "k")
            entry.nested(2) { _ in }
        }
        let error = decodeError(writer.bytes)
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("request parameter 'k'") == true)
    }

    @Test func garbageIsInternal() {
        for garbage: [UInt8] in [[0xFF, 0xFF, 0xFF], [0x0A, 0x05, 0x01], [0x2A, 0x02, 0x0A]] {
            let error = decodeError(garbage)
            #expect(error == RPCError(.internal, "could not decode inference.ModelInferRequest: invalid protobuf"))
        }
    }
}

/// The error decoding `bytes` as an InferRequest throws, or nil if it decodes.
func decodeError(_ bytes: [UInt8]) -> RPCError? {
    do {
        _ = try InferRequest(wireBytes: bytes)
        return nil
    } catch {
        return error
    }
}

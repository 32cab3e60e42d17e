import InferenceAPI
import RPCCore
import Testing

@Suite("Message round trips")
struct MessageRoundTripTests {
    private func roundTrip<M: WireMessage & Equatable>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try M(wireBytes: message.wireBytes()) == message, sourceLocation: sourceLocation)
    }

    @Test func serverLiveAndReady() throws {
        try roundTrip(ServerLiveRequest())
        try roundTrip(ServerLiveResponse(live: true))
        try roundTrip(ServerLiveResponse(live: false))
        try roundTrip(ServerReadyRequest())
        try roundTrip(ServerReadyResponse(ready: true))
        try roundTrip(ServerReadyResponse(ready: false))
    }

    @Test func modelReady() throws {
        try roundTrip(ModelReadyRequest(name: "iris", version: "3"))
        try roundTrip(ModelReadyRequest(name: "iris"))
        try roundTrip(ModelReadyResponse(ready: true))
    }

    @Test func serverMetadata() throws {
        try roundTrip(ServerMetadataRequest())
        try roundTrip(ServerMetadataResponse(name: "model-worker", version: "0.1.0", extensions: ["model_repository", "ü"]))
        try roundTrip(ServerMetadataResponse(name: "", version: ""))
    }

    @Test func modelMetadata() throws {
        try roundTrip(ModelMetadataRequest(name: "iris", version: "1"))
        try roundTrip(
            ModelMetadataResponse(
                name: "iris", versions: ["1", "2"], platform: "onnxruntime_onnx",
                inputs: [TensorMetadata(name: "X", datatype: .fp32, shape: [-1, 4])],
                outputs: [
                    TensorMetadata(name: "label", datatype: .int64, shape: [-1]),
                    TensorMetadata(name: "names", datatype: .bytes, shape: []),
                ]))
        try roundTrip(ModelMetadataResponse(name: "empty"))
    }

    @Test func inferResponse() throws {
        try roundTrip(
            InferResponse(
                modelName: "iris", modelVersion: "2", id: "abc", parameters: ["k": .uint64(1), "s": "v"],
                outputs: [
                    InferTensor(name: "p", shape: [1, 3], values: [Float(0.1), 0.2, 0.7], parameters: ["x": 1.5]),
                    InferTensor(name: "label", shape: [1], bytesElements: [Array("setosa".utf8)]),
                ]))
        try roundTrip(InferResponse(modelName: "m"))
    }

    @Test func modelStreamInferResponse() throws {
        let response = InferResponse(
            modelName: "iris", modelVersion: "1", id: "9",
            outputs: [InferTensor(name: "p", shape: [1, 2], values: [Float(0.25), 0.75])])
        try roundTrip(ModelStreamInferResponse(inferResponse: response))
        try roundTrip(ModelStreamInferResponse(inferResponse: InferResponse(modelName: "")))
        try roundTrip(ModelStreamInferResponse(errorMessage: "input 'X' has shape [2, 3]"))
        // A serialized response embedded as is decodes like the typed one.
        let embedded = ModelStreamInferResponse.wireBytes(errorMessage: "", inferResponse: response.wireBytes())
        #expect(try ModelStreamInferResponse(wireBytes: embedded) == ModelStreamInferResponse(inferResponse: response))
    }

    @Test func healthMessages() throws {
        try roundTrip(HealthCheckRequest(service: "inference.GRPCInferenceService"))
        try roundTrip(HealthCheckRequest())
        for status in HealthCheckResponse.ServingStatus.allCases {
            try roundTrip(HealthCheckResponse(status: status))
        }
    }

    @Test func unknownHealthStatusNumberReadsAsUnknown() throws {
        #expect(try HealthCheckResponse(wireBytes: [0x08, 0x09]).status == .unknown)
    }

    @Test func responsesReadRawContentsAsKServeServersWriteThem() throws {
        // The bytes of a Triton-style reply, written by hand: one FP32 output in raw contents.
        var writer = ProtoWriter()
        writer.string(1, "m")
        writer.string(2, "1")
        writer.bytes(5, ProtoWriter.tensor(name: "y", datatype: "FP32", shape: [2]))
        writer.bytes(6, InferTensor(name: "y", shape: [2], values: [Float(1), 2]).data)
        let response = try InferResponse(wireBytes: writer.bytes)
        #expect(try response.outputs[0].values(as: Float.self) == [1, 2])
        #expect(response.modelVersion == "1")
    }

    @Test func garbageIsInternalForEveryMessage() {
        let garbage: [UInt8] = [0x0A, 0x05, 0x01]
        func check<M: WireMessage>(_ type: M.Type, _ name: String) {
            #expect(throws: RPCError(.internal, "could not decode \(name): invalid protobuf")) {
                try M(wireBytes: garbage)
            }
        }
        check(ServerLiveRequest.self, "inference.ServerLiveRequest")
        check(ServerLiveResponse.self, "inference.ServerLiveResponse")
        check(ServerReadyRequest.self, "inference.ServerReadyRequest")
        check(ServerReadyResponse.self, "inference.ServerReadyResponse")
        check(ModelReadyRequest.self, "inference.ModelReadyRequest")
        check(ModelReadyResponse.self, "inference.ModelReadyResponse")
        check(ServerMetadataRequest.self, "inference.ServerMetadataRequest")
        check(ServerMetadataResponse.self, "inference.ServerMetadataResponse")
        check(ModelMetadataRequest.self, "inference.ModelMetadataRequest")
        check(ModelMetadataResponse.self, "inference.ModelMetadataResponse")
        check(InferRequest.self, "inference.ModelInferRequest")
        check(InferResponse.self, "inference.ModelInferResponse")
        check(HealthCheckRequest.self, "grpc.health.v1.HealthCheckRequest")
        check(HealthCheckResponse.self, "grpc.health.v1.HealthCheckResponse")
    }

    @Test func unknownMetadataDatatypeNamesTheTensor() {
        var writer = ProtoWriter()
        writer.string(1, "m")
        writer.nested(4) { tensor in
            tensor.string(1, "X")
            tensor.string(2, "COMPLEX64")
        }
        #expect(throws: RPCError.self) { try ModelMetadataResponse(wireBytes: writer.bytes) }
        do {
            _ = try ModelMetadataResponse(wireBytes: writer.bytes)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("input 'X'"))
            #expect(error.message.contains("'COMPLEX64'"))
        }
    }
}

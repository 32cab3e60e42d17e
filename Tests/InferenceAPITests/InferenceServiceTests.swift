import InferenceAPI
import RPCCore
import Testing

/// A handler that answers from its fields, to check the service routes each method.
private struct FixedHandler: InferenceServiceHandler {
    func serverLive(_ request: ServerLiveRequest, context: ServerContext) async throws -> ServerLiveResponse {
        ServerLiveResponse(live: true)
    }

    func serverReady(_ request: ServerReadyRequest, context: ServerContext) async throws -> ServerReadyResponse {
        ServerReadyResponse(ready: true)
    }

    func modelReady(_ request: ModelReadyRequest, context: ServerContext) async throws -> ModelReadyResponse {
        ModelReadyResponse(ready: request.name == "iris")
    }

    func serverMetadata(
        _ request: ServerMetadataRequest, context: ServerContext
    ) async throws
        -> ServerMetadataResponse
    {
        ServerMetadataResponse(name: "test", version: "1")
    }

    func modelMetadata(
        _ request: ModelMetadataRequest, context: ServerContext
    ) async throws
        -> ModelMetadataResponse
    {
        guard request.name == "iris" else { throw RPCError(.notFound, "unknown model '\(request.name)'") }
        return ModelMetadataResponse(name: "iris", versions: ["1"])
    }

    func modelInfer(_ request: InferRequest, context: ServerContext) async throws -> InferResponse {
        // Echoes the inputs as outputs, so the test sees the request arrived intact.
        InferResponse(modelName: request.modelName, modelVersion: "1", id: request.id, outputs: request.inputs)
    }
}

@Suite("InferenceService")
struct InferenceServiceTests {
    let service = InferenceService(handler: FixedHandler())

    private func call<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, as response: Response.Type
    ) async throws -> Response {
        let method = try #require(service.methods.first { $0.path == path })
        let reply = try await method.run(request.wireBytes(), testContext(path), GoneSink())
        return try Response(wireBytes: #require(reply))
    }

    @Test func listsTheMethodsWithTheirProtocolPaths() {
        #expect(
            service.methods.prefix(12).map(\.path) == [
                "/inference.GRPCInferenceService/ServerLive", "/inference.GRPCInferenceService/ServerReady",
                "/inference.GRPCInferenceService/ModelReady", "/inference.GRPCInferenceService/ServerMetadata",
                "/inference.GRPCInferenceService/ModelMetadata", "/inference.GRPCInferenceService/ModelInfer",
                "/inference.GRPCInferenceService/ModelConfig", "/inference.GRPCInferenceService/ModelStatistics",
                "/inference.GRPCInferenceService/RepositoryIndex", "/inference.GRPCInferenceService/RepositoryModelLoad",
                "/inference.GRPCInferenceService/RepositoryModelUnload", "/inference.GRPCInferenceService/ModelStreamInfer",
            ])
        #expect(service.methods.prefix(11).allSatisfy { $0.kind == .unary })
        #expect(service.methods[11].kind == .bidirectionalStreaming)
        // The rest of Triton's service answers UNIMPLEMENTED saying what to use instead.
        #expect(service.methods.dropFirst(12).map(\.path).contains("/inference.GRPCInferenceService/TraceSetting"))
        #expect(service.methods.count == 20)
    }

    @Test func routesEachMethodToTheHandler() async throws {
        #expect(try await call(InferenceMethods.serverLive, ServerLiveRequest(), as: ServerLiveResponse.self).live)
        #expect(try await call(InferenceMethods.serverReady, ServerReadyRequest(), as: ServerReadyResponse.self).ready)
        #expect(
            try await call(InferenceMethods.modelReady, ModelReadyRequest(name: "iris"), as: ModelReadyResponse.self)
                .ready)
        #expect(
            try await call(InferenceMethods.serverMetadata, ServerMetadataRequest(), as: ServerMetadataResponse.self)
                .name == "test")
        #expect(
            try await call(InferenceMethods.modelMetadata, ModelMetadataRequest(name: "iris"), as: ModelMetadataResponse.self)
                .versions == ["1"])
        let request = InferRequest(
            modelName: "iris", id: "7", inputs: [InferTensor(name: "X", shape: [1, 2], values: [Float(1), 2])])
        let response = try await call(InferenceMethods.modelInfer, request, as: InferResponse.self)
        #expect(response.outputs == request.inputs)
        #expect(response.id == "7")
    }

    @Test func handlerErrorsReachTheCaller() async throws {
        await #expect(throws: RPCError(.notFound, "unknown model 'nope'")) {
            try await call(InferenceMethods.modelMetadata, ModelMetadataRequest(name: "nope"), as: ModelMetadataResponse.self)
        }
    }

    @Test func undecodableRequestsFailBeforeTheHandler() async throws {
        let method = try #require(service.methods.first { $0.path == InferenceMethods.modelInfer })
        await #expect(throws: RPCError(.internal, "could not decode inference.ModelInferRequest: invalid protobuf")) {
            try await method.run([0xFF, 0xFF], testContext(method.path), GoneSink())
        }
    }
}

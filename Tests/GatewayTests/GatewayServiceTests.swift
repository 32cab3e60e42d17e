import Foundation
import InferenceAPI
import Logging
import RPCCore
import RPCTransport
import Synchronization
import TestSupport
import Testing

@testable import Gateway

/// A worker stand-in that counts the calls it answers and records what it was sent.
final class CountingWorker: InferenceServiceHandler {
    let version: String
    let calls = Atomic<Int>(0)
    let lastRequest = Mutex<InferRequest?>(nil)
    let lastTraceparent = Mutex<String?>(nil)

    init(version: String) { self.version = version }

    func serverLive(_ request: ServerLiveRequest, context: ServerContext) async throws -> ServerLiveResponse {
        ServerLiveResponse(live: true)
    }
    func serverReady(_ request: ServerReadyRequest, context: ServerContext) async throws -> ServerReadyResponse {
        ServerReadyResponse(ready: true)
    }
    func modelReady(_ request: ModelReadyRequest, context: ServerContext) async throws -> ModelReadyResponse {
        ModelReadyResponse(ready: true)
    }
    func serverMetadata(_ request: ServerMetadataRequest, context: ServerContext) async throws -> ServerMetadataResponse {
        ServerMetadataResponse(name: "counting", version: "1")
    }
    func modelMetadata(_ request: ModelMetadataRequest, context: ServerContext) async throws -> ModelMetadataResponse {
        ModelMetadataResponse(name: request.name, versions: [version], platform: "test", inputs: [], outputs: [])
    }
    func modelInfer(_ request: InferRequest, context: ServerContext) async throws -> InferResponse {
        calls.add(1, ordering: .relaxed)
        lastRequest.withLock { $0 = request }
        lastTraceparent.withLock { $0 = context.metadata["traceparent"] }
        return InferResponse(modelName: request.modelName, modelVersion: version, id: request.id, outputs: request.inputs)
    }
}

@Suite("gateway service with in-process workers")
struct GatewayServiceTests {
    /// Runs `body` with a started gateway whose routes file is `routes(v1Port, v2Port)`.
    func withGateway(
        routes: (Int, Int) -> String, _ body: (Gateway, CountingWorker, CountingWorker) async throws -> Void
    ) async throws {
        let v1 = CountingWorker(version: "1")
        let v2 = CountingWorker(version: "2")
        try await withServer(services: [
            InferenceService(handler: v1), HealthService(store: HealthStatusStore(overall: .serving)),
        ]) { _, port1 in
            try await withServer(services: [
                InferenceService(handler: v2), HealthService(store: HealthStatusStore(overall: .serving)),
            ]) { _, port2 in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gw-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let routesPath = directory.appendingPathComponent("routes.yaml").path
                try routes(port1, port2).write(toFile: routesPath, atomically: true, encoding: .utf8)
                var logger = Logger(label: "test.gateway")
                logger.logLevel = .warning
                let gateway = Gateway(options: GatewayOptions(routesPath: routesPath, canaryStatePath: nil), logger: logger)
                try await gateway.start()
                try await body(gateway, v1, v2)
                await gateway.shutdown()
            }
        }
    }

    static let request = InferRequest(
        modelName: "iris", id: "req-7", parameters: ["tenant": .string("blue")],
        inputs: [InferTensor(name: "X", datatype: .fp32, shape: [1, 1], data: [0, 0, 0x80, 0x3f])])

    @Test func shadowMirrorsCallsWithoutChangingTheAnswer() async throws {
        try await withGateway(routes: { p1, p2 in
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(p1)"]}
                  "2": {endpoints: ["127.0.0.1:\(p2)"]}
                traffic: {"1": 100}
                shadow: {version: "2", percent: 100}
            """
        }) { gateway, v1, v2 in
            let context = ServerContext(method: InferenceMethods.modelInfer, metadata: [:], deadline: nil, peer: "test")
            for _ in 0..<20 {
                let response = try await gateway.service.modelInfer(Self.request, context: context)
                #expect(response.modelVersion == "1")
            }
            #expect(v1.calls.load(ordering: .relaxed) == 20)
            // Mirrored calls are not awaited: give them a moment to land.
            let deadline = ContinuousClock.now + .seconds(5)
            while v2.calls.load(ordering: .relaxed) < 20, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(v2.calls.load(ordering: .relaxed) == 20)
        }
    }

    @Test func requestIdParametersAndMetadataArePreservedAndATraceStarts() async throws {
        try await withGateway(routes: { p1, _ in
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(p1)"], model: iris-logreg}
            """
        }) { gateway, v1, _ in
            let context = ServerContext(
                method: InferenceMethods.modelInfer, metadata: ["x-team": "checkout", "authorization": "Bearer secret"],
                deadline: nil, peer: "test")
            let response = try await gateway.service.modelInfer(Self.request, context: context)
            #expect(response.modelName == "iris")
            #expect(response.modelVersion == "1")
            #expect(response.id == "req-7")
            let sent = try #require(v1.lastRequest.withLock { $0 })
            #expect(sent.modelName == "iris-logreg", "the worker-side model name is used upstream")
            #expect(sent.modelVersion == "1")
            #expect(sent.id == "req-7")
            #expect(sent.parameters["tenant"] == .string("blue"))
            let traceparent = try #require(v1.lastTraceparent.withLock { $0 })
            #expect(TraceContext.traceID(of: traceparent) != nil, "\(traceparent)")
            #expect(context.response.headers["x-model-version"] == "1")
            // The access log gets the routed model and version, the request id and the trace id
            // that went upstream.
            #expect(
                context.annotations.values
                    == CallAnnotations.Values(
                        model: "iris", version: "1", requestID: "req-7", traceID: TraceContext.traceID(of: traceparent)))

            // A caller's traceparent is passed on unchanged.
            let traced = ServerContext(
                method: InferenceMethods.modelInfer,
                metadata: ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"], deadline: nil, peer: "test")
            _ = try await gateway.service.modelInfer(Self.request, context: traced)
            #expect(v1.lastTraceparent.withLock { $0 } == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            #expect(traced.annotations.values.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        }
    }

    @Test func aPipelineRouteSendsThePipelinesOutputsAsTheModelsInputs() async throws {
        // The second worker stands in for the feature-preprocessor: it answers with its inputs.
        try await withGateway(routes: { p1, p2 in
            """
            models:
              iris:
                versions:
                  "1": {endpoints: ["127.0.0.1:\(p1)"]}
                pipeline: {model: iris-features, endpoints: ["127.0.0.1:\(p2)"]}
            """
        }) { gateway, model, pipeline in
            let context = ServerContext(method: InferenceMethods.modelInfer, metadata: [:], deadline: nil, peer: "test")
            let response = try await gateway.service.modelInfer(Self.request, context: context)
            #expect(response.modelName == "iris")
            #expect(response.modelVersion == "1")
            #expect(response.id == "req-7")
            #expect(response.outputs == Self.request.inputs)
            let features = try #require(pipeline.lastRequest.withLock { $0 })
            #expect(features.modelName == "iris-features")
            #expect(features.inputs == Self.request.inputs)
            let sent = try #require(model.lastRequest.withLock { $0 })
            #expect(sent.modelName == "iris")
            #expect(sent.modelVersion == "1")
            #expect(sent.id == "req-7")
            #expect(sent.parameters["tenant"] == .string("blue"))
            #expect(sent.inputs == Self.request.inputs)
            #expect(context.response.headers["x-model-version"] == "1")
        }
    }
}

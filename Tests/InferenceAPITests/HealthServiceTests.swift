import InferenceAPI
import RPCCore
import Testing

@Suite("Health")
struct HealthServiceTests {
    private func method(_ path: String, of service: HealthService) throws -> MethodHandler {
        try #require(service.methods.first { $0.path == path })
    }

    private func check(_ name: String, _ service: HealthService) async throws -> HealthCheckResponse.ServingStatus {
        let check = try method(HealthMethods.check, of: service)
        let reply = try await check.run(HealthCheckRequest(service: name).wireBytes(), testContext(check.path), GoneSink())
        return try HealthCheckResponse(wireBytes: #require(reply)).status
    }

    @Test func servesExactlyTheHealthMethods() {
        let methods = HealthService(store: HealthStatusStore()).methods
        #expect(methods.map(\.path) == ["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"])
        #expect(methods.map(\.kind) == [.unary, .serverStreaming])
    }

    @Test func checkReportsKnownServicesAndNotFoundForOthers() async throws {
        let store = HealthStatusStore()
        let service = HealthService(store: store)
        #expect(try await check("", service) == .serving)
        await #expect(throws: RPCError(.notFound, "unknown service 'inference.GRPCInferenceService'")) {
            try await check("inference.GRPCInferenceService", service)
        }
        store.set(service: "inference.GRPCInferenceService", status: .notServing)
        #expect(try await check("inference.GRPCInferenceService", service) == .notServing)
        store.set(service: "inference.GRPCInferenceService", status: .serving)
        #expect(try await check("inference.GRPCInferenceService", service) == .serving)
        store.remove(service: "inference.GRPCInferenceService")
        await #expect(throws: RPCError.self) { try await check("inference.GRPCInferenceService", service) }
    }

    @Test func storeStartsWithTheOverallStatusAndSetAllChangesEveryService() {
        let store = HealthStatusStore(overall: .notServing)
        #expect(store.status(of: "") == .notServing)
        #expect(store.status(of: "a") == nil)
        store.set(service: "a", status: .serving)
        store.setAll(.notServing)
        #expect(store.status(of: "a") == .notServing)
        #expect(store.status(of: "") == .notServing)
    }

    @Test func watchSendsTheCurrentStatusThenChangesUntilCancelled() async throws {
        let store = HealthStatusStore()
        let watch = try method(HealthMethods.watch, of: HealthService(store: store))
        let sink = StreamSink()
        let call = Task {
            try await watch.run(HealthCheckRequest(service: "svc").wireBytes(), testContext(watch.path), sink)
        }
        var replies = sink.messages.makeAsyncIterator()
        func next() async throws -> HealthCheckResponse.ServingStatus {
            try HealthCheckResponse(wireBytes: #require(await replies.next())).status
        }
        #expect(try await next() == .serviceUnknown)
        store.set(service: "svc", status: .serving)
        #expect(try await next() == .serving)
        store.set(service: "svc", status: .serving)  // Not a change: nothing is sent.
        store.set(service: "svc", status: .notServing)
        #expect(try await next() == .notServing)
        store.remove(service: "svc")
        #expect(try await next() == .serviceUnknown)
        #expect(store.watcherCount == 1)

        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(store.watcherCount == 0)
    }

    @Test func watchUnregistersWhenTheClientIsGone() async throws {
        let store = HealthStatusStore()
        let watch = try method(HealthMethods.watch, of: HealthService(store: store))
        await #expect(throws: RPCError(.cancelled, "the client went away")) {
            try await watch.run(HealthCheckRequest().wireBytes(), testContext(watch.path), GoneSink())
        }
        #expect(store.watcherCount == 0)
    }

    @Test func droppedUpdateStreamsUnregister() {
        let store = HealthStatusStore()
        do {
            let updates = store.updates(for: "x")
            _ = updates
            #expect(store.watcherCount == 1)
        }
        #expect(store.watcherCount == 0)
    }
}

import AdminAPI
import InferenceAPI
import RPCCore
import Synchronization
import Testing

@testable import Gateway

/// Writes nothing: the methods under test are unary.
private struct NoSink: ResponseStreamSink {
    func write(_ message: [UInt8]) async throws {}
}

@Suite("bearer-token interceptor")
struct AuthInterceptorTests {
    /// Answers `[1]` on every path it is given and counts the calls that reached it.
    final class Handlers: Sendable {
        let reached = Atomic<Int>(0)

        func methods(_ paths: [String]) -> [MethodHandler] {
            paths.map { path in
                MethodHandler(path: path, kind: .unary) { [self] _, _, _ in
                    reached.add(1, ordering: .relaxed)
                    return [1]
                }
            }
        }
    }

    let handlers = Handlers()
    let methods: [String: MethodHandler]

    init() throws {
        let tokens = try AccessTokens(
            yaml: AccessTokensTests.file, file: "tokens.yaml", environment: ["OPS_TOKEN": "root-pass"])
        let paths = [
            InferenceMethods.serverLive, InferenceMethods.serverReady, InferenceMethods.serverMetadata,
            InferenceMethods.modelReady, InferenceMethods.modelMetadata, InferenceMethods.modelInfer,
            AdminMethods.listRoutes, AdminMethods.setRoute, "/grpc.health.v1.Health/Check",
        ]
        let chain = InterceptorChain([AuthInterceptor(tokens: tokens)])
        methods = Dictionary(uniqueKeysWithValues: handlers.methods(paths).map { ($0.path, chain.apply(to: $0)) })
    }

    /// Runs `path` with `token` (none when nil) and returns the context it ran with.
    @discardableResult
    func call(_ path: String, _ request: [UInt8] = [], token: String?) async throws -> ServerContext {
        let metadata: Metadata = token.map { ["authorization": "Bearer \($0)"] } ?? [:]
        let context = ServerContext(method: path, metadata: metadata, deadline: nil, peer: "test")
        let reply = try await methods[path]!.run(request, context, NoSink())
        #expect(reply == [1])
        return context
    }

    @Test func eachMethodNeedsWhatItsHandlerCheckedBefore() {
        #expect(AuthInterceptor.check(for: InferenceMethods.serverLive) == nil)
        #expect(AuthInterceptor.check(for: InferenceMethods.serverReady) == nil)
        #expect(AuthInterceptor.check(for: "/grpc.health.v1.Health/Watch") == nil)
        #expect(AuthInterceptor.check(for: InferenceMethods.serverMetadata) == .token)
        #expect(AuthInterceptor.check(for: InferenceMethods.modelReady) == .model(notesCall: false))
        #expect(AuthInterceptor.check(for: InferenceMethods.modelMetadata) == .model(notesCall: false))
        #expect(AuthInterceptor.check(for: InferenceMethods.modelInfer) == .model(notesCall: true))
        for path in [
            AdminMethods.listRoutes, AdminMethods.getRoute, AdminMethods.setRoute, AdminMethods.canaryAction,
            AdminMethods.canaryStatus, AdminMethods.autoscalingHints, AdminMethods.endpointHealth,
        ] {
            #expect(AuthInterceptor.check(for: path) == .admin, "\(path)")
        }
    }

    @Test func modelInferWithoutAValidTokenIsRefusedBeforeItsHandlerButLogged() async throws {
        let infer = InferRequest(modelName: "iris", id: "req-3").wireBytes()
        let context = ServerContext(method: InferenceMethods.modelInfer, metadata: [:], deadline: nil, peer: "test")
        await #expect(throws: RPCError(.unauthenticated, "a bearer token is required (authorization: Bearer TOKEN)")) {
            try await methods[InferenceMethods.modelInfer]!.run(infer, context, NoSink())
        }
        #expect(context.annotations.values == CallAnnotations.Values(model: "iris", requestID: "req-3"))
        await #expect(throws: RPCError(.unauthenticated, "the bearer token is not valid")) {
            try await call(InferenceMethods.modelInfer, infer, token: "guess")
        }
        #expect(handlers.reached.load(ordering: .relaxed) == 0)
        try await call(InferenceMethods.modelInfer, infer, token: "s3cret")
        try await call(InferenceMethods.modelInfer, infer, token: "root-pass")
        #expect(handlers.reached.load(ordering: .relaxed) == 2)
    }

    @Test func modelScopedMethodsReadTheModelFromTheRequest() async throws {
        let wine = ModelMetadataRequest(name: "wine").wireBytes()
        await #expect(throws: RPCError(.permissionDenied, "this token may not call model \"wine\"")) {
            try await call(InferenceMethods.modelMetadata, wine, token: "s3cret")
        }
        await #expect(throws: RPCError(.permissionDenied, "this token may not call model \"wine\"")) {
            try await call(InferenceMethods.modelReady, ModelReadyRequest(name: "wine").wireBytes(), token: "s3cret")
        }
        await #expect(throws: RPCError(.permissionDenied, "this token may not call model \"wine\"")) {
            try await call(InferenceMethods.modelInfer, InferRequest(modelName: "wine").wireBytes(), token: "s3cret")
        }
        let context = try await call(InferenceMethods.modelReady, ModelReadyRequest(name: "iris").wireBytes(), token: "s3cret")
        #expect(context.annotations.values == CallAnnotations.Values(), "only ModelInfer's handler noted the model")
        try await call(InferenceMethods.modelMetadata, wine, token: "root-pass")
    }

    @Test func bytesThatAreNotProtobufReachTheHandlerForItsDecodingError() async throws {
        try await call(InferenceMethods.modelInfer, [0xff, 0xff], token: nil)
        #expect(handlers.reached.load(ordering: .relaxed) == 1)
    }

    @Test func adminMethodsNeedAnAdminToken() async throws {
        for path in [AdminMethods.listRoutes, AdminMethods.setRoute] {
            await #expect(throws: RPCError(.unauthenticated, "a bearer token is required (authorization: Bearer TOKEN)")) {
                try await call(path, token: nil)
            }
            await #expect(throws: RPCError(.permissionDenied, "this token may not use the admin service (it needs admin: true)"))
            {
                try await call(path, token: "s3cret")
            }
            try await call(path, token: "root-pass")
        }
    }

    @Test func serverMetadataNeedsAnyValidTokenAndProbesNone() async throws {
        await #expect(throws: RPCError(.unauthenticated, "the bearer token is not valid")) {
            try await call(InferenceMethods.serverMetadata, token: "guess")
        }
        try await call(InferenceMethods.serverMetadata, token: "s3cret")
        for path in [InferenceMethods.serverLive, InferenceMethods.serverReady, "/grpc.health.v1.Health/Check"] {
            try await call(path, token: nil)
        }
    }
}

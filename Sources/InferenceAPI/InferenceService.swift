import RPCCore

/// `inference.GRPCInferenceService`: routes its methods to a handler.
public struct InferenceService: RPCService {
    public let handler: any InferenceServiceHandler

    public init(handler: any InferenceServiceHandler) {
        self.handler = handler
    }

    public var methods: [MethodHandler] {
        let handler = handler
        return [
            .unary(InferenceMethods.serverLive) { try await handler.serverLive($0, context: $1) },
            .unary(InferenceMethods.serverReady) { try await handler.serverReady($0, context: $1) },
            .unary(InferenceMethods.modelReady) { try await handler.modelReady($0, context: $1) },
            .unary(InferenceMethods.serverMetadata) { try await handler.serverMetadata($0, context: $1) },
            .unary(InferenceMethods.modelMetadata) { try await handler.modelMetadata($0, context: $1) },
            .unary(InferenceMethods.modelInfer) { try await handler.modelInfer($0, context: $1) },
            .unary(InferenceMethods.modelConfig) { try await handler.modelConfig($0, context: $1) },
            .unary(InferenceMethods.modelStatistics) { try await handler.modelStatistics($0, context: $1) },
            .unary(InferenceMethods.repositoryIndex) { try await handler.repositoryIndex($0, context: $1) },
            .unary(InferenceMethods.repositoryModelLoad) { try await handler.repositoryModelLoad($0, context: $1) },
            .unary(InferenceMethods.repositoryModelUnload) { try await handler.repositoryModelUnload($0, context: $1) },
            // ModelStreamInfer
            .bidirectionalStreaming(InferenceMethods.modelStreamInfer) {
                try await handler.modelStreamInfer($0, context: $1, responses: $2)
            },
        ]
            + Self.notServed.map { path, why in
                MethodHandler(path: "/inference.GRPCInferenceService/" + path, kind: .unary) { _, _, _ in
                    throw RPCError(.unimplemented, "\(path) is not implemented by this server: \(why)")
                }
            }
    }

    /// The rest of Triton's service, answered UNIMPLEMENTED with what to use instead.
    static let notServed: [(String, String)] = [
        ("TraceSetting", "traces are exported with --otlp-endpoint and --trace-sample-ratio"),
        ("LogSettings", "the log is set with --log-level, --log-format and --access-log"),
        ("SystemSharedMemoryStatus", "tensors travel in the request (no shared memory)"),
        ("SystemSharedMemoryRegister", "tensors travel in the request (no shared memory)"),
        ("SystemSharedMemoryUnregister", "tensors travel in the request (no shared memory)"),
        ("CudaSharedMemoryStatus", "tensors travel in the request (no GPU shared memory)"),
        ("CudaSharedMemoryRegister", "tensors travel in the request (no GPU shared memory)"),
        ("CudaSharedMemoryUnregister", "tensors travel in the request (no GPU shared memory)"),
    ]
}

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
    }
}

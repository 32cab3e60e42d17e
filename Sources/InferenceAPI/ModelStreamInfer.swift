import RPCCore

/// `ModelStreamInferResponse`: one reply on a ModelStreamInfer stream, the answer to one request:
/// its response, or why it failed (the stream goes on after a failed request, as in Triton).
public struct ModelStreamInferResponse: Sendable, Hashable {
    /// Empty when the request succeeded.
    public var errorMessage: String
    public var inferResponse: InferResponse?

    public init(errorMessage: String = "", inferResponse: InferResponse? = nil) {
        self.errorMessage = errorMessage
        self.inferResponse = inferResponse
    }
}

/// Serves ModelStreamInfer by answering every request on the stream as a ModelInfer call of its
/// own, one reply per request, in request order.
public enum ModelStreamInfer {
    /// Requests answered at once on one stream: enough to keep a dynamic batcher fed, few enough
    /// that a caller sending faster is held back by flow control rather than by memory.
    public static let defaultMaxInFlight = 16

    /// Answers each request with `infer`; a request that fails (it does not decode, or `infer`
    /// throws) is answered with its error message.
    public static func serve(
        _ requests: RequestStream<InferRequest>, context: ServerContext,
        responses: ResponseStream<ModelStreamInferResponse>, maxInFlight: Int = defaultMaxInFlight,
        infer: @escaping @Sendable (InferRequest, ServerContext) async throws -> InferResponse
    ) async throws {
        try await serveSerialized(requests.source, context: context, responses: responses.sink, maxInFlight: maxInFlight) {
            bytes, requestContext in
            try await infer(InferRequest(wireBytes: bytes), requestContext).wireBytes()
        }
    }

    /// The same on serialized messages, for a server that passes requests and responses on
    /// without decoding them (the gateway).
    public static func serveSerialized(
        _ requests: any RequestStreamSource, context: ServerContext, responses: any ResponseStreamSink,
        maxInFlight: Int = defaultMaxInFlight,
        infer: @escaping @Sendable ([UInt8], ServerContext) async throws -> [UInt8]
    ) async throws {
        try await OrderedReplies.serve(requests, to: responses, maxInFlight: maxInFlight) { request in
            do {
                let response = try await infer(request, requestContext(of: context))
                return ModelStreamInferResponse.wireBytes(errorMessage: "", inferResponse: response)
            } catch {
                return ModelStreamInferResponse.wireBytes(errorMessage: RPCError(from: error).message, inferResponse: nil)
            }
        }
    }

    /// The context one request runs in: the stream's caller, metadata and deadline, with response
    /// metadata and annotations of its own (a stream's headers are sent once, before its first
    /// reply, so what a request adds there would only pile up).
    static func requestContext(of stream: ServerContext) -> ServerContext {
        ServerContext(method: stream.method, metadata: stream.metadata, deadline: stream.deadline, peer: stream.peer)
    }
}

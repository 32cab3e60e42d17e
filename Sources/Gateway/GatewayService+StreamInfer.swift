import InferenceAPI
import RPCCore

extension GatewayService {
    /// ModelStreamInfer: each request on the stream takes the ModelInfer path of its own (model
    /// allowed for the caller's token, version choice, canary accounting, replica choice,
    /// preprocessing) and its reply or error is written back in request order, with a bounded
    /// number in flight. The serialized requests and responses pass through undecoded.
    public func modelStreamInfer(
        _ requests: RequestStream<InferRequest>, context: ServerContext,
        responses: ResponseStream<ModelStreamInferResponse>
    ) async throws {
        try await ModelStreamInfer.serveSerialized(requests.source, context: context, responses: responses.sink) {
            request, requestContext in
            if let tokens = self.tokens {
                let model = try ProtobufFields(request, messageName: "inference.ModelInferRequest").string(1)
                try tokens.authorize(requestContext.metadata, model: model)
            }
            return try await self.modelInfer(request, context: requestContext)
        }
    }
}

import InferenceAPI
import RPCCore

extension ModelWorkerService {
    /// ModelStreamInfer: each request runs as a ModelInfer call (validation, batching, metrics),
    /// several at once so the batcher sees them together, answered in request order.
    public func modelStreamInfer(
        _ requests: RequestStream<InferRequest>, context: ServerContext,
        responses: ResponseStream<ModelStreamInferResponse>
    ) async throws {
        try await ModelStreamInfer.serve(requests, context: context, responses: responses) { request, requestContext in
            try await self.modelInfer(request, context: requestContext)
        }
    }
}

import InferenceAPI
import RPCCore

extension FeaturePreprocessorService {
    /// ModelStreamInfer: each request runs a pipeline as a ModelInfer call would, answered in
    /// request order.
    public func modelStreamInfer(
        _ requests: RequestStream<InferRequest>, context: ServerContext,
        responses: ResponseStream<ModelStreamInferResponse>
    ) async throws {
        try await ModelStreamInfer.serve(requests, context: context, responses: responses) { request, requestContext in
            try await self.modelInfer(request, context: requestContext)
        }
    }
}

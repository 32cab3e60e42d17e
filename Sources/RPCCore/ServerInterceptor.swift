/// Code that runs around the calls of a server's methods (metrics, spans, the access log,
/// auth): it sees the request bytes and the call's context (method path, metadata, deadline,
/// peer), calls `next` to run the rest of the chain and the handler, and sees the reply or the
/// error; it can also answer or throw without calling `next`.
///
/// Interceptors are composed once per server by `InterceptorChain`, which asks `prepare(for:)`
/// once per method: per-method work (metric handles, span names, which check a method needs)
/// is done there rather than on every call, and a method the interceptor leaves alone pays
/// nothing for it.
public protocol ServerInterceptor: Sendable {
    /// What the interceptor keeps per method, made once when the chain is composed.
    associatedtype MethodState: Sendable = Void

    /// The state for `method`'s calls, or nil when this interceptor does not apply to the method.
    func prepare(for method: MethodHandler) -> MethodState?

    /// Runs one call: `next(request, context, stream)` runs the rest of the chain and the handler
    /// and returns its reply (nil for server streaming); what this returns or throws is the call's outcome.
    func intercept(
        _ request: [UInt8], context: ServerContext, stream: any ResponseStreamSink, state: MethodState,
        next: MethodHandler.Run
    ) async throws -> [UInt8]?
}

extension ServerInterceptor where MethodState == Void {
    /// Applies to every method, with nothing kept per method.
    public func prepare(for method: MethodHandler) -> Void? { () }
}

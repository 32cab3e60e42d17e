/// Interceptors composed around a server's methods, the first outermost: each method's handler
/// is wrapped once, when the server is built, into one `run` closure, so a call runs the chain
/// with no lookup and no allocation of its own.
public struct InterceptorChain: Sendable {
    public let interceptors: [any ServerInterceptor]

    public init(_ interceptors: [any ServerInterceptor]) {
        self.interceptors = interceptors
    }

    /// The services with every method wrapped (the same services when there are no interceptors).
    public func apply(to services: [any RPCService]) -> [any RPCService] {
        guard !interceptors.isEmpty else { return services }
        return services.map { InterceptedService(methods: $0.methods.map(apply(to:))) }
    }

    /// One method, wrapped by every interceptor that applies to it.
    public func apply(to method: MethodHandler) -> MethodHandler {
        var run = method.run
        for interceptor in interceptors.reversed() {
            run = Self.wrap(method, in: interceptor, next: run)
        }
        return MethodHandler(path: method.path, kind: method.kind, run: run)
    }

    /// `next` behind `interceptor`, whose per-method state is made here, once.
    private static func wrap<Interceptor: ServerInterceptor>(
        _ method: MethodHandler, in interceptor: Interceptor, next: @escaping MethodHandler.Run
    ) -> MethodHandler.Run {
        guard let state = interceptor.prepare(for: method) else { return next }
        return { request, context, stream in
            try await interceptor.intercept(request, context: context, stream: stream, state: state, next: next)
        }
    }
}

/// A service whose methods were wrapped.
private struct InterceptedService: RPCService {
    let methods: [MethodHandler]
}

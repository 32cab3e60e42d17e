import Instrumentation
import RPCCore
import Tracing

/// A server span per call (an interceptor) for the tracer bootstrapped by `TracingExport`: its parent is the
/// caller's `traceparent`, it is the current context while the handler runs (so the gateway's
/// upstream calls carry it on), and it ends with the call's status, model and version.
struct CallTracing: ServerInterceptor {
    /// The span's name and `rpc.*` attributes of one method.
    struct MethodNames: Sendable {
        var span: String
        var service: String
        var method: String
    }

    func prepare(for method: MethodHandler) -> MethodNames? {
        // `inference.GRPCInferenceService/ModelInfer`: the span name gRPC instrumentations use.
        let spanName = String(method.path.drop { $0 == "/" })
        let parts = spanName.split(separator: "/", maxSplits: 1).map(String.init)
        return MethodNames(span: spanName, service: parts.first ?? spanName, method: parts.count > 1 ? parts[1] : "")
    }

    func intercept(
        _ request: [UInt8], context: ServerContext, stream: any ResponseStreamSink, state names: MethodNames,
        next: MethodHandler.Run
    ) async throws -> [UInt8]? {
        var parent = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(context.metadata, into: &parent, using: MetadataExtractor())
        let span = InstrumentationSystem.tracer.startSpan(names.span, context: parent, ofKind: .server)
        span.attributes["rpc.system"] = "grpc"
        span.attributes["rpc.service"] = names.service
        span.attributes["rpc.method"] = names.method
        span.attributes["client.address"] = context.peer
        context.annotations.note(traceID: Self.traceID(of: span.context))
        do {
            let reply = try await ServiceContext.withValue(span.context) { try await next(request, context, stream) }
            finish(span, code: .ok, message: nil, context: context)
            return reply
        } catch {
            let failure = RPCError(from: error)
            finish(span, code: failure.code, message: failure.message, context: context)
            throw error
        }
    }

    private func finish(_ span: any Span, code: StatusCode, message: String?, context: ServerContext) {
        let noted = context.annotations.values
        span.attributes["rpc.grpc.status_code"] = Int(code.rawValue)
        if let model = noted.model { span.attributes["inference.model"] = model }
        if let version = noted.version { span.attributes["inference.model_version"] = version }
        if let requestID = noted.requestID { span.attributes["inference.request_id"] = requestID }
        if code != .ok { span.setStatus(SpanStatus(code: .error, message: "\(code): \(message ?? "")")) }
        span.end()
    }

    /// The trace id of `context`'s span, read back through the propagator.
    static func traceID(of context: ServiceContext) -> String? {
        var headers: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &headers, using: HeaderDictionaryInjector())
        return headers["traceparent"].flatMap(TraceContext.traceID(of:))
    }
}

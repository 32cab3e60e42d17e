import Instrumentation
import RPCCore
import Tracing

/// A server span per call for the tracer bootstrapped by `TracingExport`: its parent is the
/// caller's `traceparent`, it is the current context while the handler runs (so the gateway's
/// upstream calls carry it on), and it ends with the call's status, model and version.
struct CallTracing: Sendable {
    func instrument(_ services: [any RPCService]) -> [any RPCService] {
        services.map { TracedService(methods: $0.methods.map(instrument)) }
    }

    func instrument(_ method: MethodHandler) -> MethodHandler {
        let run = method.run
        // `inference.GRPCInferenceService/ModelInfer`: the span name gRPC instrumentations use.
        let spanName = String(method.path.drop { $0 == "/" })
        let parts = spanName.split(separator: "/", maxSplits: 1).map(String.init)
        let service = parts.first ?? spanName
        let rpcMethod = parts.count > 1 ? parts[1] : ""
        @Sendable func traced(_ request: [UInt8], _ context: ServerContext, _ stream: any ResponseStreamSink)
            async throws -> [UInt8]?
        {
            var parent = ServiceContext.topLevel
            InstrumentationSystem.instrument.extract(context.metadata, into: &parent, using: MetadataExtractor())
            let span = InstrumentationSystem.tracer.startSpan(spanName, context: parent, ofKind: .server)
            span.attributes["rpc.system"] = "grpc"
            span.attributes["rpc.service"] = service
            span.attributes["rpc.method"] = rpcMethod
            span.attributes["client.address"] = context.peer
            context.annotations.note(traceID: Self.traceID(of: span.context))
            do {
                let reply = try await ServiceContext.withValue(span.context) { try await run(request, context, stream) }
                finish(span, code: .ok, message: nil, context: context)
                return reply
            } catch {
                let failure = RPCError(from: error)
                finish(span, code: failure.code, message: failure.message, context: context)
                throw error
            }
        }
        return MethodHandler(path: method.path, kind: method.kind, run: traced)
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

/// A service whose methods were wrapped.
private struct TracedService: RPCService {
    let methods: [MethodHandler]
}

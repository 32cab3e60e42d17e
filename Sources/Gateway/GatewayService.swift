import Foundation
import InferenceAPI
import Instrumentation
import Logging
import RPCCore
import RPCTransport
import Routing
import Synchronization

/// The gateway's `inference.GRPCInferenceService`: each ModelInfer is routed to a version (explicit,
/// sticky key or weighted split), optionally preprocessed first, sent to one replica, measured,
/// and answered with the version that served it.
public final class GatewayService: InferenceServiceHandler {
    public let table: RoutingTable
    public let forwarder: Forwarder
    public let logger: Logger
    public let metrics: GatewayMetrics
    /// Deadline for upstream calls when the caller sent none, so a hung replica cannot hold a call forever.
    public let defaultTimeout: Duration
    /// Shadow calls in flight; more than `maxShadowCalls` are skipped rather than queued.
    private let shadowCalls = Atomic<Int>(0)
    public let maxShadowCalls = 64
    private let draining = Atomic<Bool>(false)

    // MARK: ModelStreamInfer
    /// Checked for each request of a ModelStreamInfer stream (`--auth-tokens`), whose call as a
    /// whole the auth interceptor only checks for a valid token; nil lets everyone in.
    public let tokens: AccessTokens?
    // MARK: -

    /// Metadata that belongs to this hop and is not passed on.
    static let hopMetadata = ["authorization"]

    public init(
        table: RoutingTable, forwarder: Forwarder, metrics: GatewayMetrics, logger: Logger,
        defaultTimeout: Duration = .seconds(30), tokens: AccessTokens? = nil
    ) {
        self.table = table
        self.forwarder = forwarder
        self.metrics = metrics
        self.logger = logger
        self.defaultTimeout = defaultTimeout
        self.tokens = tokens
    }

    /// Readiness turns false for a graceful shutdown.
    public func beginDraining() { draining.store(true, ordering: .relaxed) }

    /// Ready when not draining, at least one model is routed, and every model has a usable replica.
    public var isReady: Bool {
        guard !draining.load(ordering: .relaxed) else { return false }
        let models = table.models
        return !models.isEmpty && models.values.allSatisfy(\.hasUsableReplica)
    }

    public func serverLive(_ request: ServerLiveRequest, context: ServerContext) async throws -> ServerLiveResponse {
        ServerLiveResponse(live: true)
    }

    public func serverReady(_ request: ServerReadyRequest, context: ServerContext) async throws -> ServerReadyResponse {
        ServerReadyResponse(ready: isReady)
    }

    public func serverMetadata(_ request: ServerMetadataRequest, context: ServerContext) async throws -> ServerMetadataResponse {
        return ServerMetadataResponse(
            name: "inference-mesh-gateway", version: GatewayVersion.current,
            extensions: ["model_configuration", "statistics", "model_repository", "binary_tensor_data"])
    }

    public func modelReady(_ request: ModelReadyRequest, context: ServerContext) async throws -> ModelReadyResponse {
        let model = try routed(request.name)
        if request.version.isEmpty {
            return ModelReadyResponse(ready: model.hasUsableReplica)
        }
        guard let version = model.versions[request.version] else { throw unknownVersion(model, request.version) }
        return ModelReadyResponse(ready: version.endpoints.usableCount > 0)
    }

    /// Asks a replica of the requested (or main) version and answers with the routed name and
    /// every routed version.
    public func modelMetadata(_ request: ModelMetadataRequest, context: ServerContext) async throws -> ModelMetadataResponse {
        let (model, reply) = try await askVersion(
            InferenceMethods.modelMetadata, model: request.name, version: request.version, context: context,
            as: ModelMetadataResponse.self
        ) { ModelMetadataRequest(name: $0, version: $1) }
        var response = reply
        response.name = model.name
        response.versions = model.route.versionOrder
        return response
    }

    /// Asks a replica of the requested (or main) version for its configuration and answers with
    /// the routed name.
    public func modelConfig(_ request: ModelConfigRequest, context: ServerContext) async throws -> ModelConfigResponse {
        let (model, reply) = try await askVersion(
            InferenceMethods.modelConfig, model: request.name, version: request.version, context: context,
            as: ModelConfigResponse.self
        ) { ModelConfigRequest(name: $0, version: $1) }
        var response = reply
        response.name = model.name
        return response
    }

    /// Sends a question about one version (its metadata, its configuration) to a replica of it:
    /// the requested version, or the main one when none is named, under the worker's own model
    /// name and version number. `request` builds the question from those two.
    private func askVersion<Request: WireMessage, Response: WireMessage>(
        _ path: String, model name: String, version requested: String, context: ServerContext, as: Response.Type,
        request: (_ workerModel: String, _ workerVersion: String) -> Request
    ) async throws -> (ModelRuntime, Response) {
        let model = try routed(name)
        let versionName = requested.isEmpty ? (model.primaryVersion ?? "") : requested
        guard let version = model.versions[versionName] else { throw unknownVersion(model, requested) }
        var report = Forwarder.Report()
        let response = try await forwarder.call(
            path, request(model.route.workerModelName(for: versionName), Self.workerVersion(versionName)), on: version.endpoints,
            what: "\(model.name) version \(versionName)", metadata: [:],
            deadline: context.deadline ?? .now + defaultTimeout, report: &report, as: Response.self
        ).message
        return (model, response)
    }

    /// ModelInfer on a decoded request: the serialized path below, for callers in this process.
    public func modelInfer(_ request: InferRequest, context: ServerContext) async throws -> InferResponse {
        try InferResponse(wireBytes: try await modelInfer(request.wireBytes(), context: context))
    }

    /// ModelInfer on the serialized message, the one path every call takes. The request is decoded
    /// only as far as its route needs: a route with a preprocessing pipeline gets the tensors
    /// decoded for the pipeline call; otherwise the tensors are forwarded as they came, and only
    /// `model_name` and `model_version` are rewritten on the way in and out, which saves decoding
    /// and re-encoding every tensor at this hop.
    public func modelInfer(_ bytes: [UInt8], context: ServerContext) async throws -> [UInt8] {
        let request = try ProtobufFields(bytes, messageName: "inference.ModelInferRequest")
        let modelName = request.string(1)
        let requestID = request.string(3)
        context.annotations.note(model: modelName, requestID: requestID)
        let model = try routed(modelName)
        let decoded =
            model.pipeline == nil
            ? nil : try bytes.withUnsafeBytes { buffer throws(RPCError) in try InferRequest(wireBytes: buffer) }
        let routingKey = request.stringParameter(4, key: "routing_key") ?? context.metadata["x-routing-key"]
        var generator = FastRandomNumberGenerator()
        let choice = try choose(model, explicitVersion: request.string(2), routingKey: routingKey, generator: &generator)
        let deadline = context.deadline ?? .now + defaultTimeout
        let metadata = forwardedMetadata(context.metadata, generator: &generator)
        noteTraceID(context, metadata)
        let upstreamRequest: ProtobufFields
        if let decoded, let pipeline = model.pipeline, let pipelineRoute = model.route.pipeline {
            let modelRequest = try await preprocess(
                decoded, pipeline: pipeline, route: pipelineRoute, model: model,
                metadata: metadata, deadline: deadline)
            upstreamRequest = try ProtobufFields(modelRequest.wireBytes(), messageName: "inference.ModelInferRequest")
        } else {
            upstreamRequest = request
        }
        return try await route(model, choice: choice, context: context, deadline: deadline) { version, report throws(RPCError) in
            let upstream = upstreamRequest.rewriting([
                (1, model.route.workerModelName(for: version.version)), (2, Self.workerVersion(version.version)),
            ])
            let reply = try await self.forwarder.callRaw(
                InferenceMethods.modelInfer, upstream, on: version.endpoints,
                what: "\(model.name) version \(version.version)", metadata: metadata, deadline: deadline, report: &report)
            let response = try ProtobufFields(reply, messageName: "inference.ModelInferResponse")
            let hasID = !response.string(3).isEmpty
            // Most workers already answer with the routed name and version: pass the bytes on.
            if hasID || requestID.isEmpty, response.string(1) == model.name, response.string(2) == version.version {
                return reply
            }
            var names = [(number: 1, value: model.name), (2, version.version)]
            if !hasID { names.append((3, requestID)) }
            return response.rewriting(names)
        }
    }

    /// Picks the version for a call; NOT_FOUND for a version the route does not have.
    private func choose(
        _ model: ModelRuntime, explicitVersion: String, routingKey: String?, generator: inout some RandomNumberGenerator
    ) throws(RPCError) -> VersionSelector.Choice {
        do {
            return try model.selector().select(explicitVersion: explicitVersion, routingKey: routingKey, random: &generator)
        } catch {
            throw RPCError(.notFound, error.description)
        }
    }

    /// Sends a call to the chosen version with `send`, mirrors it to the shadow version, and on a
    /// candidate's failure falls back to the stable version when the canary allows it.
    private func route<Response: Sendable>(
        _ model: ModelRuntime, choice: VersionSelector.Choice, context: ServerContext, deadline: ContinuousClock.Instant,
        _ send: @escaping @Sendable (VersionRuntime, inout Forwarder.Report) async throws(RPCError) -> Response
    ) async throws(RPCError) -> Response {
        maybeShadow(model: model, primary: choice.version, send: send)
        context.annotations.note(version: choice.version)
        do {
            let response = try await measured(model: model, version: choice.version, send)
            context.response.addHeader("x-model-version", choice.version)
            return response
        } catch {
            // Fallback: a candidate's failed call is answered by the stable version instead.
            guard let canary = model.route.canary, canary.fallback, choice.version == canary.candidate,
                choice.reason != .explicit, Forwarder.isServerFault(error.code), !Task.isCancelled,
                deadline > .now
            else { throw error }
            metrics.fallback(model: model.name, from: choice.version)
            logger.debug(
                "candidate failed; falling back to stable",
                metadata: [
                    "model": "\(model.name)", "candidate": "\(canary.candidate)", "error": "\(error)",
                ])
            context.annotations.note(version: canary.stable)
            let response = try await measured(model: model, version: canary.stable, send)
            context.response.addHeader("x-model-version", canary.stable)
            return response
        }
    }

    /// One call to one version, measured for the canary, the autoscaler and metrics.
    private func measured<Response>(
        model: ModelRuntime, version versionName: String,
        _ send: (VersionRuntime, inout Forwarder.Report) async throws(RPCError) -> Response
    ) async throws(RPCError) -> Response {
        guard let version = model.versions[versionName] else { throw unknownVersion(model, versionName) }
        let started = ContinuousClock.now
        version.autoscaler.callStarted()
        defer { version.autoscaler.callEnded() }
        var report = Forwarder.Report()
        do {
            let response = try await send(version, &report)
            let elapsed = ContinuousClock.now - started
            version.stats.record(latency: elapsed, failed: false)
            metrics.call(model: model.name, version: versionName, code: .ok, duration: elapsed, retries: report.retries)
            if report.panicRouted { metrics.panicRouted(model: model.name, version: versionName) }
            return response
        } catch {
            let elapsed = ContinuousClock.now - started
            if report.panicRouted { metrics.panicRouted(model: model.name, version: versionName) }
            if Forwarder.isServerFault(error.code) { version.stats.record(latency: elapsed, failed: true) }
            metrics.call(model: model.name, version: versionName, code: error.code, duration: elapsed, retries: report.retries)
            throw error
        }
    }

    /// Runs the route's pipeline and turns its outputs into the model's inputs.
    private func preprocess(
        _ request: InferRequest, pipeline: EndpointSet, route: PipelineRoute, model: ModelRuntime,
        metadata: Metadata, deadline: ContinuousClock.Instant
    ) async throws(RPCError) -> InferRequest {
        var pipelineRequest = request
        pipelineRequest.modelName = route.model
        pipelineRequest.modelVersion = route.version ?? ""
        pipelineRequest.outputs = []
        var report = Forwarder.Report()
        let features = try await forwarder.call(
            InferenceMethods.modelInfer, pipelineRequest, on: pipeline,
            what: "pipeline \(route.model) of \(model.name)", metadata: metadata, deadline: deadline,
            report: &report, as: InferResponse.self
        ).message
        var modelRequest = request
        modelRequest.inputs = features.outputs
        return modelRequest
    }

    /// Mirrors a share of calls to the shadow version, never waiting for it.
    private func maybeShadow<Response>(
        model: ModelRuntime, primary: String,
        send: @escaping @Sendable (VersionRuntime, inout Forwarder.Report) async throws(RPCError) -> Response
    ) {
        guard let shadow = model.route.shadow, shadow.version != primary, shadow.percent > 0,
            Double.random(in: 0..<100) < shadow.percent
        else { return }
        guard shadowCalls.add(1, ordering: .relaxed).newValue <= maxShadowCalls else {
            shadowCalls.subtract(1, ordering: .relaxed)
            metrics.shadowSkipped(model: model.name)
            return
        }
        Task {
            defer { shadowCalls.subtract(1, ordering: .relaxed) }
            _ = try? await measured(model: model, version: shadow.version, send)
        }
    }

    /// Gives the access log the trace id passed on upstream.
    private func noteTraceID(_ context: ServerContext, _ metadata: Metadata) {
        context.annotations.note(traceparent: metadata["traceparent"])
    }

    /// The caller's metadata minus this hop's, with this call's span as the parent when spans are
    /// exported, else the caller's `traceparent` or a new one when the caller sent none.
    private func forwardedMetadata(_ incoming: Metadata, generator: inout some RandomNumberGenerator) -> Metadata {
        var metadata = Metadata()
        // Room for a new traceparent too: one allocation. Names in a Metadata are lower case.
        metadata.reserveCapacity(incoming.count + 1)
        for (name, value) in incoming where !Self.hopMetadata.contains(name) { metadata.addLowercased(name, value) }
        if let span = ServiceContext.current {
            InstrumentationSystem.instrument.inject(span, into: &metadata, using: TraceHeaderInjector())
        }
        if metadata["traceparent"] == nil {
            metadata.add("traceparent", TraceContext.newTraceparent(using: &generator))
        }
        return metadata
    }

    /// The live route of `name`; NOT_FOUND naming the routed models otherwise.
    public func routed(_ name: String) throws(RPCError) -> ModelRuntime {
        guard let model = table.model(name) else {
            let known = table.models.keys.sorted().joined(separator: ", ")
            throw RPCError(.notFound, "model \"\(name)\" is not routed by this gateway (models: \(known))")
        }
        return model
    }

    func unknownVersion(_ model: ModelRuntime, _ version: String) -> RPCError {
        RPCError(
            .notFound,
            "model \"\(model.name)\" has no version \"\(version)\" (versions: \(model.route.versionOrder.joined(separator: ", ")))"
        )
    }

    /// The version asked of a worker: numeric route versions are the worker's version numbers;
    /// other names leave the choice to the worker.
    static func workerVersion(_ version: String) -> String {
        if let number = Int(version), number > 0 { return version }
        return ""
    }
}

/// The gateway's version, reported by ServerMetadata.
public enum GatewayVersion {
    public static let current = "0.1.0"
}

/// Writes trace headers into the metadata of upstream calls, replacing the caller's.
struct TraceHeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout Metadata) {
        carrier.replace(key, value)
    }
}

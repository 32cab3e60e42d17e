import AdminAPI
import InferenceAPI
import RPCCore
import Synchronization

/// The inference side of a fake gateway: answers a classifier's outputs, alternating versions
/// 1 and 2 when the caller names none, and describes the inputs it received in a parameter.
final class FakeInference: InferenceServiceHandler {
    static let token = "s3cret"
    private let calls = Atomic<Int>(0)

    func modelInfer(_ request: InferRequest, context: ServerContext) async throws -> InferResponse {
        switch request.modelName {
        case "broken":
            throw RPCError(.invalidArgument, "input \"X\" has shape [2, 3], but the model expects [-1, 4]")
        case "secure" where context.metadata["authorization"] != "Bearer \(Self.token)":
            throw RPCError(.unauthenticated, "a valid bearer token is required")
        default:
            break
        }
        let call = calls.add(1, ordering: .relaxed).newValue
        let version = request.modelVersion.isEmpty ? (call % 2 == 1 ? "1" : "2") : request.modelVersion
        var response = Fixtures.classification(rows: Int(request.inputs.first?.shape.first ?? 0), version: version)
        response.id = request.id
        let received = request.inputs.map { "\($0.name):\($0.datatype)\($0.shape)" }.joined(separator: " ")
        response.parameters["received"] = .string(received)
        if case .string(let key)? = request.parameters["routing_key"] { response.parameters["routing_key"] = .string(key) }
        return response
    }

    func serverLive(_ request: ServerLiveRequest, context: ServerContext) async throws -> ServerLiveResponse {
        ServerLiveResponse(live: true)
    }

    func serverReady(_ request: ServerReadyRequest, context: ServerContext) async throws -> ServerReadyResponse {
        throw RPCError(.unimplemented, "not in the fake")
    }

    func modelReady(_ request: ModelReadyRequest, context: ServerContext) async throws -> ModelReadyResponse {
        throw RPCError(.unimplemented, "not in the fake")
    }

    func serverMetadata(_ request: ServerMetadataRequest, context: ServerContext) async throws -> ServerMetadataResponse {
        throw RPCError(.unimplemented, "not in the fake")
    }

    func modelMetadata(_ request: ModelMetadataRequest, context: ServerContext) async throws -> ModelMetadataResponse {
        throw RPCError(.unimplemented, "not in the fake")
    }
}

/// The admin side of a fake gateway: fixed routes, one canary on `iris`, hints and health.
final class FakeAdmin: GatewayAdminHandler {
    private let setRoutes = Mutex<[RouteDocument]>([])

    /// Routes the CLI set, in order.
    var receivedRoutes: [RouteDocument] { setRoutes.withLock { $0 } }

    func listRoutes(context: ServerContext) async throws -> RouteList { Fixtures.routes }

    func getRoute(_ request: ModelSelector, context: ServerContext) async throws -> RouteDocument {
        guard request.model == "iris" else { throw RPCError(.notFound, "no route for model \"\(request.model)\"") }
        return RouteDocument(model: "iris", yaml: "versions:\n  \"1\": {endpoints: [\"127.0.0.1:7001\"]}")
    }

    func setRoute(_ request: RouteDocument, context: ServerContext) async throws -> RouteDocument {
        setRoutes.withLock { $0.append(request) }
        return request
    }

    func canaryAction(_ request: CanaryActionRequest, context: ServerContext) async throws -> CanaryStatus {
        guard request.model == "iris" else {
            throw RPCError(.failedPrecondition, "model \"\(request.model)\" has no canary policy in its route")
        }
        var status = Fixtures.canary
        switch request.action {
        case .pause: status.phase = "paused"
        case .setWeight:
            status.phase = "paused"
            status.weight = request.weight
        case .promote: status.phase = "promoted"
        case .abort: status.phase = "aborted"
        case .start, .resume, .unspecified: break
        }
        return status
    }

    func canaryStatus(_ request: ModelSelector, context: ServerContext) async throws -> CanaryStatusList {
        guard request.model.isEmpty || request.model == "iris" else {
            throw RPCError(.notFound, "unknown model \"\(request.model)\"")
        }
        return CanaryStatusList(canaries: [Fixtures.canary])
    }

    func autoscalingHints(_ request: ModelSelector, context: ServerContext) async throws -> AutoscalingHintList {
        Fixtures.hints
    }

    func endpointHealth(_ request: ModelSelector, context: ServerContext) async throws -> EndpointStatusList {
        Fixtures.health
    }
}

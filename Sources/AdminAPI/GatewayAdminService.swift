import RPCCore

/// The method paths of `inferencemesh.admin.v1.GatewayAdmin`, for the gateway and infer-cli.
public enum AdminMethods {
    public static let listRoutes = "/inferencemesh.admin.v1.GatewayAdmin/ListRoutes"
    public static let getRoute = "/inferencemesh.admin.v1.GatewayAdmin/GetRoute"
    public static let setRoute = "/inferencemesh.admin.v1.GatewayAdmin/SetRoute"
    public static let canaryAction = "/inferencemesh.admin.v1.GatewayAdmin/CanaryAction"
    public static let canaryStatus = "/inferencemesh.admin.v1.GatewayAdmin/CanaryStatusList"
    public static let autoscalingHints = "/inferencemesh.admin.v1.GatewayAdmin/AutoscalingHints"
    public static let endpointHealth = "/inferencemesh.admin.v1.GatewayAdmin/EndpointHealth"
}

/// What the gateway implements to serve its admin service; thrown errors become the status.
public protocol GatewayAdminHandler: Sendable {
    func listRoutes(context: ServerContext) async throws -> RouteList
    func getRoute(_ request: ModelSelector, context: ServerContext) async throws -> RouteDocument
    func setRoute(_ request: RouteDocument, context: ServerContext) async throws -> RouteDocument
    func canaryAction(_ request: CanaryActionRequest, context: ServerContext) async throws -> CanaryStatus
    func canaryStatus(_ request: ModelSelector, context: ServerContext) async throws -> CanaryStatusList
    func autoscalingHints(_ request: ModelSelector, context: ServerContext) async throws -> AutoscalingHintList
    func endpointHealth(_ request: ModelSelector, context: ServerContext) async throws -> EndpointStatusList
}

/// The admin service's method table over a handler.
public struct GatewayAdminService: RPCService {
    public let handler: any GatewayAdminHandler

    public init(handler: any GatewayAdminHandler) { self.handler = handler }

    public var methods: [MethodHandler] {
        let handler = self.handler
        return [
            .unary(AdminMethods.listRoutes) { (_: ListRoutesRequest, context) in try await handler.listRoutes(context: context) },
            .unary(AdminMethods.getRoute) { (request: ModelSelector, context) in
                try await handler.getRoute(request, context: context)
            },
            .unary(AdminMethods.setRoute) { (request: RouteDocument, context) in
                try await handler.setRoute(request, context: context)
            },
            .unary(AdminMethods.canaryAction) { (request: CanaryActionRequest, context) in
                try await handler.canaryAction(request, context: context)
            },
            .unary(AdminMethods.canaryStatus) { (request: ModelSelector, context) in
                try await handler.canaryStatus(request, context: context)
            },
            .unary(AdminMethods.autoscalingHints) { (request: ModelSelector, context) in
                try await handler.autoscalingHints(request, context: context)
            },
            .unary(AdminMethods.endpointHealth) { (request: ModelSelector, context) in
                try await handler.endpointHealth(request, context: context)
            },
        ]
    }
}

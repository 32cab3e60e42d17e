// Swift value types of `inferencemesh.admin.v1` (proto/admin.proto): the gateway's admin service.

/// A request naming one model, or every model when `model` is empty.
public struct ModelSelector: Sendable, Hashable {
    public var model: String
    public init(model: String = "") { self.model = model }
}

/// One version of a route as the gateway sees it now.
public struct VersionSummary: Sendable, Hashable {
    public var version: String
    /// The model name the workers of this version serve.
    public var workerModel: String
    public var endpoints: [String]
    /// Percent of unpinned calls this version gets now.
    public var weight: Double

    public init(version: String, workerModel: String, endpoints: [String], weight: Double) {
        self.version = version
        self.workerModel = workerModel
        self.endpoints = endpoints
        self.weight = weight
    }
}

/// One routed model.
public struct RouteSummary: Sendable, Hashable {
    public var model: String
    public var versions: [VersionSummary]
    /// The preprocessing pipeline's name, empty when none.
    public var pipeline: String
    /// The canary's phase, empty when the route has no canary.
    public var canaryPhase: String

    public init(model: String, versions: [VersionSummary], pipeline: String = "", canaryPhase: String = "") {
        self.model = model
        self.versions = versions
        self.pipeline = pipeline
        self.canaryPhase = canaryPhase
    }
}

/// `ListRoutesResponse`: every route and the effective routes file.
public struct RouteList: Sendable, Hashable {
    public var routes: [RouteSummary]
    public var yaml: String

    public init(routes: [RouteSummary], yaml: String) {
        self.routes = routes
        self.yaml = yaml
    }
}

/// `SetRouteRequest` and `RouteResponse`: one model's route as YAML.
public struct RouteDocument: Sendable, Hashable {
    public var model: String
    public var yaml: String

    public init(model: String, yaml: String) {
        self.model = model
        self.yaml = yaml
    }
}

/// `CanaryActionRequest`.
public struct CanaryActionRequest: Sendable, Hashable {
    public enum Action: Int32, Sendable, Hashable, CaseIterable {
        case unspecified = 0
        case start = 1
        case pause = 2
        case resume = 3
        case promote = 4
        case abort = 5
        case setWeight = 6
    }

    public var model: String
    public var action: Action
    /// For `setWeight`: the candidate's percent.
    public var weight: Double

    public init(model: String, action: Action, weight: Double = 0) {
        self.model = model
        self.action = action
        self.weight = weight
    }
}

/// One step of a canary's history.
public struct CanaryTransition: Sendable, Hashable {
    public var atUnixMilliseconds: Int64
    public var phase: String
    public var weight: Double
    public var reason: String

    public init(atUnixMilliseconds: Int64, phase: String, weight: Double, reason: String) {
        self.atUnixMilliseconds = atUnixMilliseconds
        self.phase = phase
        self.weight = weight
        self.reason = reason
    }
}

/// Calls, errors and latency of one version during the current canary step.
public struct VersionMeasurement: Sendable, Hashable {
    public var version: String
    public var calls: UInt64
    public var errors: UInt64
    public var p50Milliseconds: Double
    public var p99Milliseconds: Double

    public init(version: String, calls: UInt64 = 0, errors: UInt64 = 0, p50Milliseconds: Double = 0, p99Milliseconds: Double = 0)
    {
        self.version = version
        self.calls = calls
        self.errors = errors
        self.p50Milliseconds = p50Milliseconds
        self.p99Milliseconds = p99Milliseconds
    }
}

/// `CanaryStatus`: where one model's rollout stands.
public struct CanaryStatus: Sendable, Hashable {
    public var model: String
    public var stable: String
    public var candidate: String
    /// progressing, paused, promoted, rolled_back or aborted.
    public var phase: String
    public var weight: Double
    public var stepIndex: Int32
    public var steps: [Double]
    public var stepStartedUnixMilliseconds: Int64
    public var stableMeasurement: VersionMeasurement
    public var candidateMeasurement: VersionMeasurement
    public var history: [CanaryTransition]
    public var lastDecision: String
    /// With shared rollout state: the gateway replica that runs the analysis ("" without).
    public var leader: String
    /// With shared rollout state: how this replica stands with it ("" without).
    public var coordination: String

    public init(
        model: String, stable: String, candidate: String, phase: String, weight: Double, stepIndex: Int32,
        steps: [Double], stepStartedUnixMilliseconds: Int64, stableMeasurement: VersionMeasurement,
        candidateMeasurement: VersionMeasurement, history: [CanaryTransition], lastDecision: String,
        leader: String = "", coordination: String = ""
    ) {
        self.model = model
        self.stable = stable
        self.candidate = candidate
        self.phase = phase
        self.weight = weight
        self.stepIndex = stepIndex
        self.steps = steps
        self.stepStartedUnixMilliseconds = stepStartedUnixMilliseconds
        self.stableMeasurement = stableMeasurement
        self.candidateMeasurement = candidateMeasurement
        self.history = history
        self.lastDecision = lastDecision
        self.leader = leader
        self.coordination = coordination
    }
}

/// `CanaryStatusResponse`.
public struct CanaryStatusList: Sendable, Hashable {
    public var canaries: [CanaryStatus]
    public init(canaries: [CanaryStatus]) { self.canaries = canaries }
}

/// How many replicas one model version needs.
public struct AutoscalingHint: Sendable, Hashable {
    public var model: String
    public var version: String
    public var stableConcurrency: Double
    public var panicConcurrency: Double
    public var desiredReplicas: Int32
    public var readyReplicas: Int32
    public var panic: Bool
    public var targetConcurrency: Double

    public init(
        model: String, version: String, stableConcurrency: Double, panicConcurrency: Double,
        desiredReplicas: Int32, readyReplicas: Int32, panic: Bool, targetConcurrency: Double
    ) {
        self.model = model
        self.version = version
        self.stableConcurrency = stableConcurrency
        self.panicConcurrency = panicConcurrency
        self.desiredReplicas = desiredReplicas
        self.readyReplicas = readyReplicas
        self.panic = panic
        self.targetConcurrency = targetConcurrency
    }
}

/// `AutoscalingHintsResponse`.
public struct AutoscalingHintList: Sendable, Hashable {
    public var hints: [AutoscalingHint]
    public init(hints: [AutoscalingHint]) { self.hints = hints }
}

/// One endpoint's health and load.
public struct EndpointStatus: Sendable, Hashable {
    public var model: String
    /// The version, or "pipeline" for the route's preprocessor.
    public var version: String
    /// As written in the routes.
    public var endpoint: String
    /// The resolved `host:port`.
    public var address: String
    /// ready, not_serving, connecting, unreachable or ejected.
    public var state: String
    public var outstanding: Int32
    public var consecutiveFailures: Int32
    public var ejectedUntilUnixMilliseconds: Int64
    /// The version has no usable replica, so its calls are panic-routed.
    public var panic: Bool

    public init(
        model: String, version: String, endpoint: String, address: String, state: String,
        outstanding: Int32 = 0, consecutiveFailures: Int32 = 0, ejectedUntilUnixMilliseconds: Int64 = 0, panic: Bool = false
    ) {
        self.panic = panic
        self.model = model
        self.version = version
        self.endpoint = endpoint
        self.address = address
        self.state = state
        self.outstanding = outstanding
        self.consecutiveFailures = consecutiveFailures
        self.ejectedUntilUnixMilliseconds = ejectedUntilUnixMilliseconds
    }
}

/// `EndpointHealthResponse`.
public struct EndpointStatusList: Sendable, Hashable {
    public var endpoints: [EndpointStatus]
    public init(endpoints: [EndpointStatus]) { self.endpoints = endpoints }
}

/// `ListRoutesRequest` (no fields).
public struct ListRoutesRequest: Sendable, Hashable {
    public init() {}
}

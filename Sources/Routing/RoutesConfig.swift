/// The gateway's routes (`--routes FILE`): for each model name callers use, its versions and
/// endpoints, an optional preprocessing pipeline, and how traffic is split between versions.
///
/// Parse with `init(yaml:file:)`, write back with `yaml()`; see `ModelRoute` for the keys.
public struct RoutesConfig: Sendable, Hashable {
    /// Routes by the model name callers use.
    public var models: [String: ModelRoute]

    public init(models: [String: ModelRoute] = [:]) {
        self.models = models
    }

    /// Checks every model's route; the error names the key path.
    public func validate() throws(RoutesError) {
        for name in models.keys.sorted() {
            guard let route = models[name] else { continue }
            guard route.name == name else {
                throw RoutesError(path: "models.\(name)", message: "route is named \"\(route.name)\", not \"\(name)\"")
            }
            try route.validate()
        }
    }
}

/// One routed model: what `models.<name>` holds in the routes file.
///
/// ```yaml
/// pipeline: {model: iris-features, version: "1", endpoints: ["127.0.0.1:7001"]}   # optional
/// versions: {"1": {endpoints: ["127.0.0.1:8001"], model: iris-logreg}}           # required
/// traffic: {"1": 90, "2": 10}     # optional fixed split; not together with canary
/// canary: {...}                   # optional automated rollout, see CanaryPolicy
/// shadow: {version: "2", percent: 10}
/// autoscaling: {target_concurrency: 8, min_replicas: 1, max_replicas: 20}
/// ```
/// Without `traffic` or `canary`, all traffic goes to the highest version.
public struct ModelRoute: Sendable, Hashable {
    /// The model name callers use.
    public var name: String
    /// A preprocessing hop the request goes through before the model.
    public var pipeline: PipelineRoute?
    /// Versions by name (the `model_version` callers may ask for).
    public var versions: [String: VersionRoute]
    /// Fixed weights by version; versions left out get none.
    public var traffic: [String: Double]?
    /// An automated rollout from a stable to a candidate version.
    public var canary: CanaryPolicy?
    /// Calls mirrored to another version, answers discarded.
    public var shadow: ShadowPolicy?
    /// Targets for the autoscaling hints of every version.
    public var autoscaling: AutoscalingPolicy?

    public init(
        name: String, pipeline: PipelineRoute? = nil, versions: [String: VersionRoute],
        traffic: [String: Double]? = nil, canary: CanaryPolicy? = nil, shadow: ShadowPolicy? = nil,
        autoscaling: AutoscalingPolicy? = nil
    ) {
        self.name = name
        self.pipeline = pipeline
        self.versions = versions
        self.traffic = traffic
        self.canary = canary
        self.shadow = shadow
        self.autoscaling = autoscaling
    }

    /// The autoscaling targets in force: the route's, else target concurrency 8 and 1 to 10 replicas.
    public var autoscalingPolicy: AutoscalingPolicy {
        autoscaling ?? AutoscalingPolicy(targetConcurrency: 8, minReplicas: 1, maxReplicas: 10)
    }

    /// Version names in the fixed order splits use (see `VersionOrder`).
    public var versionOrder: [String] { VersionOrder.sorted(versions.keys) }

    /// The weights to route with when no canary state overrides them: `traffic`, the canary's
    /// stable version, or else the highest version; every version appears (possibly with 0).
    public var staticWeights: [String: Double] {
        var weights = Dictionary(uniqueKeysWithValues: versions.keys.map { ($0, 0.0) })
        if let traffic {
            for (version, weight) in traffic { weights[version] = weight }
        } else if let canary {
            weights[canary.stable] = 100
        } else if let highest = versionOrder.last {
            weights[highest] = 100
        }
        return weights
    }

    /// The model name to ask a worker for when serving `version`.
    public func workerModelName(for version: String) -> String {
        versions[version]?.model ?? name
    }
}

/// The preprocessing hop of a route.
public struct PipelineRoute: Sendable, Hashable {
    /// The pipeline's name on the preprocessor.
    public var model: String
    /// The pipeline version to ask for; the preprocessor's choice when nil.
    public var version: String?
    public var endpoints: [EndpointAddress]

    public init(model: String, version: String? = nil, endpoints: [EndpointAddress]) {
        self.model = model
        self.version = version
        self.endpoints = endpoints
    }
}

/// Where one version is served.
public struct VersionRoute: Sendable, Hashable {
    public var endpoints: [EndpointAddress]
    /// The model name on the worker, when it differs from the routed name.
    public var model: String?

    public init(endpoints: [EndpointAddress], model: String? = nil) {
        self.endpoints = endpoints
        self.model = model
    }
}

/// Mirror `percent` of calls to `version`; answers are discarded, metrics kept.
public struct ShadowPolicy: Sendable, Hashable {
    public var version: String
    /// 0 to 100.
    public var percent: Double

    public init(version: String, percent: Double) {
        self.version = version
        self.percent = percent
    }
}

/// Targets for the Knative-style autoscaling hints (see `ConcurrencyAutoscaler`).
public struct AutoscalingPolicy: Sendable, Hashable {
    /// In-flight calls one replica should carry.
    public var targetConcurrency: Double
    public var minReplicas: Int
    public var maxReplicas: Int
    /// Averaging window for normal scaling (`stable_window`, default 60s).
    public var stableWindow: Duration
    /// Short window that detects bursts (`panic_window`, default 6s).
    public var panicWindow: Duration

    public static let defaultStableWindow: Duration = .seconds(60)
    public static let defaultPanicWindow: Duration = .seconds(6)

    public init(
        targetConcurrency: Double, minReplicas: Int = 1, maxReplicas: Int,
        stableWindow: Duration = defaultStableWindow, panicWindow: Duration = defaultPanicWindow
    ) {
        self.targetConcurrency = targetConcurrency
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.stableWindow = stableWindow
        self.panicWindow = panicWindow
    }
}

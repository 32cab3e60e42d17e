import Testing

@testable import Routing

/// The example routes file of docs/file-formats.md, plus the optional keys it does not show.
let designExample = """
    models:
      iris:                                   # the model_name callers use
        pipeline:                             # optional: preprocess first
          model: iris-features                # pipeline name on the preprocessor
          endpoints: ["127.0.0.1:7001"]
        versions:
          "1": {endpoints: ["127.0.0.1:8001", "127.0.0.1:8002"]}
          "2": {endpoints: ["dns:///iris-v2.models.svc.cluster.local:8001"]}
        canary:                               # optional automated rollout
          stable: "1"
          candidate: "2"
          steps: [5, 25, 50, 100]             # percent to the candidate
          interval: 30s
          min_calls: 100                      # per step, before judging
          max_error_rate: 0.01                # candidate's error rate above stable's
          max_p99_ratio: 1.5                  # candidate p99 / stable p99
          fallback: true                      # retry a failed candidate call on stable
        shadow: {version: "2", percent: 10}   # optional mirror
        autoscaling: {target_concurrency: 8, min_replicas: 1, max_replicas: 20}
    """

@Suite struct RoutesConfigTests {
    @Test func designExampleParsesWithEveryField() throws {
        let config = try RoutesConfig(yaml: designExample, file: "routes.yaml")
        let iris = try #require(config.models["iris"])
        #expect(iris.pipeline == PipelineRoute(model: "iris-features", endpoints: [.hostPort(host: "127.0.0.1", port: 7001)]))
        #expect(
            iris.versions["1"]?.endpoints == [.hostPort(host: "127.0.0.1", port: 8001), .hostPort(host: "127.0.0.1", port: 8002)])
        #expect(iris.versions["2"]?.endpoints == [.dns(name: "iris-v2.models.svc.cluster.local", port: 8001)])
        #expect(iris.workerModelName(for: "1") == "iris")
        #expect(iris.traffic == nil)
        #expect(
            iris.canary
                == CanaryPolicy(
                    stable: "1", candidate: "2", steps: [5, 25, 50, 100], interval: .seconds(30), minCalls: 100,
                    maxErrorRate: 0.01, maxP99Ratio: 1.5, fallback: true))
        #expect(iris.shadow == ShadowPolicy(version: "2", percent: 10))
        #expect(iris.autoscaling == AutoscalingPolicy(targetConcurrency: 8, minReplicas: 1, maxReplicas: 20))
        #expect(iris.staticWeights == ["1": 100, "2": 0])
    }

    @Test func trafficOptionalKeysAndWorkerNames() throws {
        let yaml = """
            models:
              iris:
                pipeline: {model: iris-features, version: "3", endpoints: ["[::1]:7001"]}
                versions:
                  1: {endpoints: ["10.0.0.1:8001"], model: iris-logreg}
                  "2": {endpoints: ["10.0.0.2:8001"]}
                traffic: {"1": 90, "2": 10}
                autoscaling: {target_concurrency: 2.5, min_replicas: 0, max_replicas: 4, stable_window: 2m, panic_window: 500ms}
              wine:
                versions: {"1": {endpoints: ["localhost:9000"]}, "10": {endpoints: ["localhost:9001"]}, "9": {endpoints: ["localhost:9002"]}}
            """
        let config = try RoutesConfig(yaml: yaml, file: "routes.yaml")
        let iris = try #require(config.models["iris"])
        #expect(iris.pipeline?.version == "3")
        #expect(iris.pipeline?.endpoints == [.hostPort(host: "::1", port: 7001)])
        #expect(iris.workerModelName(for: "1") == "iris-logreg")
        #expect(iris.traffic == ["1": 90, "2": 10])
        #expect(iris.autoscaling?.stableWindow == .seconds(120))
        #expect(iris.autoscaling?.panicWindow == .milliseconds(500))
        let wine = try #require(config.models["wine"])
        #expect(wine.versionOrder == ["1", "9", "10"])
        #expect(wine.staticWeights == ["1": 0, "9": 0, "10": 100])
    }

    @Test func absoluteCapsParse() throws {
        let yaml = """
            models:
              m:
                versions: {"1": {endpoints: ["h:1"]}, "2": {endpoints: ["h:2"]}}
                canary: {stable: "1", candidate: "2", steps: [100], max_error_rate_absolute: 0.05, max_p99_ms: 250}
            """
        let canary = try #require(try RoutesConfig(yaml: yaml, file: "r.yaml").models["m"]?.canary)
        #expect(canary.maxErrorRateAbsolute == 0.05)
        #expect(canary.maxP99 == .milliseconds(250))
        #expect(canary.interval == CanaryPolicy.defaultInterval)
        #expect(canary.fallback == false)
    }

    @Test func emptyDocumentHasNoModels() throws {
        #expect(try RoutesConfig(yaml: "", file: "r.yaml").models.isEmpty)
        #expect(try RoutesConfig(yaml: "models: {}", file: "r.yaml").models.isEmpty)
    }

    @Test func roundTripsThroughYAML() throws {
        var config = try RoutesConfig(yaml: designExample, file: "routes.yaml")
        config.models["iris"]?.canary?.maxErrorRateAbsolute = 0.2
        config.models["iris"]?.canary?.maxP99 = .microseconds(1500)
        config.models["iris"]?.pipeline?.version = "2"
        config.models["iris"]?.versions["1"]?.model = "iris-logreg"
        config.models["plain"] = ModelRoute(
            name: "plain", versions: ["yes": VersionRoute(endpoints: [.hostPort(host: "::1", port: 80)])],
            traffic: ["yes": 0.5],
            autoscaling: AutoscalingPolicy(targetConcurrency: 1.25, maxReplicas: 3, stableWindow: .milliseconds(61_500)))
        let text = config.yaml()
        let again = try RoutesConfig(yaml: text, file: "written.yaml")
        #expect(again == config, "\(text)")
        let single = try ModelRoute(yaml: try #require(config.models["iris"]).yaml(), name: "iris", file: "admin")
        #expect(single == config.models["iris"])
    }

    @Test func durationsParseAndPrint() {
        #expect(Duration(routesText: "30s") == .seconds(30))
        #expect(Duration(routesText: "500ms") == .milliseconds(500))
        #expect(Duration(routesText: "2m") == .seconds(120))
        #expect(Duration(routesText: "1h") == .seconds(3600))
        #expect(Duration(routesText: "45") == .seconds(45))
        #expect(Duration(routesText: "1.5s") == .milliseconds(1500))
        for bad in ["", "s", "-1s", "1x", "1.s", ".5s", "1.2.3s", "10 s"] {
            #expect(Duration(routesText: bad) == nil, "\(bad)")
        }
        #expect(Duration.seconds(90).routesText == "90s")
        #expect(Duration.seconds(120).routesText == "2m")
        #expect(Duration.milliseconds(1500).routesText == "1500ms")
        #expect(Duration.microseconds(1500).routesText == "0.0015s")
    }

    @Test func endpointAddresses() throws {
        #expect(try EndpointAddress(parsing: "a.b:80") == .hostPort(host: "a.b", port: 80))
        #expect(try EndpointAddress(parsing: "dns:///svc.ns:8001") == .dns(name: "svc.ns", port: 8001))
        #expect(EndpointAddress.hostPort(host: "::1", port: 9).description == "[::1]:9")
        for bad in ["host", "host:0", "host:70000", ":80", "dns://svc:80", "dns:///svc", "::1:80", "a b:1"] {
            #expect(throws: EndpointAddressError.self, "\(bad)") { try EndpointAddress(parsing: bad) }
        }
    }

    /// Each bad file names the key path at fault.
    @Test(arguments: [
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, traffic: {\"3\": 1}}}",
            "routes.yaml: models.iris.traffic: version \"3\" is not in versions"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, traffic: {\"1\": 0}}}",
            "models.iris.traffic: at least one weight must be above 0"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, traffic: {\"1\": -1}}}",
            "models.iris.traffic.1: weight must be 0 or more"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, traffic: {\"1\": ten}}}",
            "models.iris.traffic.1: must be a number"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, canary: {stable: \"1\", candidate: \"2\", steps: [50, 25, 100]}}}",
            "models.iris.canary.steps: must be increasing percentages ending at 100"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, canary: {stable: \"1\", candidate: \"2\", steps: [5, 50]}}}",
            "models.iris.canary.steps: must be increasing percentages ending at 100"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, canary: {stable: \"1\", candidate: \"3\", steps: [100]}}}",
            "models.iris.canary.candidate: version \"3\" is not in versions"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, canary: {stable: \"1\", candidate: \"1\", steps: [100]}}}",
            "models.iris.canary.candidate: must differ from stable"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, traffic: {\"1\": 1}, canary: {stable: \"1\", candidate: \"2\", steps: [100]}}}",
            "models.iris.canary: traffic and canary are mutually exclusive"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, canary: {stable: \"1\", candidate: \"2\", steps: [100], interval: soon}}}",
            "models.iris.canary.interval: must be a duration"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, canary: {stable: \"1\", candidate: \"2\", steps: [100], max_error_rate: 2}}}",
            "models.iris.canary.max_error_rate: must be from 0 to 1"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, canary: {stable: \"1\", candidate: \"2\", steps: [100], min_calls: 0}}}",
            "models.iris.canary.min_calls: must be at least 1"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}, \"2\": {endpoints: [\"h:2\"]}}, canary: {stable: \"1\", candidate: \"2\", steps: [100], rollback: yes}}}",
            "models.iris.canary.rollback: unknown key"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, canary: {stable: \"1\", steps: [100]}}}",
            "models.iris.canary.candidate: is required"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, weights: {\"1\": 1}}}",
            "models.iris.weights: unknown key"
        ),
        ("modles: {}", "routes.yaml: modles: unknown key"),
        ("models: {iris: {traffic: {\"1\": 1}}}", "models.iris.versions: is required"),
        ("models: {iris: {versions: {}}}", "models.iris.versions: needs at least one version"),
        ("models: {iris: {versions: {\"1\": {endpoints: []}}}}", "models.iris.versions.1.endpoints: needs at least one endpoint"),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h\"]}}}}",
            "models.iris.versions.1.endpoints[0]: \"h\" is not an endpoint: missing :port"
        ),
        ("models: {iris: {versions: {\"1\": {endpoints: \"h:1\"}}}}", "models.iris.versions.1.endpoints: must be a list"),
        ("models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"], port: 2}}}}", "models.iris.versions.1.port: unknown key"),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, shadow: {version: \"2\", percent: 5}}}",
            "models.iris.shadow.version: version \"2\" is not in versions"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, shadow: {version: \"1\", percent: 150}}}",
            "models.iris.shadow.percent: must be from 0 to 100"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, autoscaling: {target_concurrency: 0, max_replicas: 2}}}",
            "models.iris.autoscaling.target_concurrency: must be above 0"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, autoscaling: {target_concurrency: 1, min_replicas: 3, max_replicas: 2}}}",
            "models.iris.autoscaling.max_replicas: must be at least 1 and at least min_replicas"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, autoscaling: {target_concurrency: 1, max_replicas: 2, panic_window: 2m}}}",
            "models.iris.autoscaling.panic_window: must be longer than 0 and at most stable_window"
        ),
        (
            "models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}, pipeline: {endpoints: [\"h:2\"]}}}",
            "models.iris.pipeline.model: is required"
        ),
        ("models: [iris]", "routes.yaml: models: must be a mapping"),
        ("models: {iris: {versions: {\"1\": {endpoints: [\"h:1\"]}}}}\nmodels: {}", "has key \"models\" twice"),
        ("models: {iris: [", "routes.yaml: not valid YAML"),
    ])
    func badInputNamesTheKey(yaml: String, expected: String) {
        do {
            _ = try RoutesConfig(yaml: yaml, file: "routes.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func errorsCarryLineNumbers() {
        let yaml = "models:\n  iris:\n    versions:\n      \"1\": {endpoints: [\"h:1\"], colour: red}\n"
        #expect(
            throws: RoutesError(
                file: "r.yaml", path: "models.iris.versions.1.colour",
                message: "unknown key (known keys: endpoints, model)", line: 4)
        ) {
            try RoutesConfig(yaml: yaml, file: "r.yaml")
        }
    }
}

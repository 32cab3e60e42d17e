import Yams

extension RoutesConfig {
    /// The routes as YAML in the file's spelling; `init(yaml:file:)` reads it back to an equal value.
    public func yaml() -> String {
        let models = self.models.keys.sorted().compactMap { name in
            self.models[name].map { (Node(name), $0.node()) }
        }
        return serializeYAML(Node.mapping(.init([(Node("models"), Node.mapping(.init(models)))])))
    }
}

extension ModelRoute {
    /// This route as the YAML that `models.<name>` holds; `init(yaml:name:file:)` reads it back.
    public func yaml() -> String {
        serializeYAML(node())
    }

    func node() -> Node {
        var pairs: [(Node, Node)] = []
        if let pipeline {
            var fields: [(Node, Node)] = [(Node("model"), quoted(pipeline.model))]
            if let version = pipeline.version { fields.append((Node("version"), quoted(version))) }
            fields.append((Node("endpoints"), endpointsNode(pipeline.endpoints)))
            pairs.append((Node("pipeline"), Node.mapping(.init(fields))))
        }
        let versionPairs = versionOrder.compactMap { version -> (Node, Node)? in
            guard let route = versions[version] else { return nil }
            var fields: [(Node, Node)] = [(Node("endpoints"), endpointsNode(route.endpoints))]
            if let model = route.model { fields.append((Node("model"), quoted(model))) }
            return (quoted(version), Node.mapping(.init(fields)))
        }
        pairs.append((Node("versions"), Node.mapping(.init(versionPairs))))
        if let traffic {
            let weights = VersionOrder.sorted(traffic.keys).map { (quoted($0), number(traffic[$0] ?? 0)) }
            pairs.append((Node("traffic"), Node.mapping(.init(weights, .implicit, .flow))))
        }
        if let canary { pairs.append((Node("canary"), canary.node())) }
        if let shadow {
            pairs.append(
                (
                    Node("shadow"),
                    Node.mapping(
                        .init(
                            [
                                (Node("version"), quoted(shadow.version)), (Node("percent"), number(shadow.percent)),
                            ], .implicit, .flow))
                ))
        }
        if let autoscaling {
            pairs.append(
                (
                    Node("autoscaling"),
                    Node.mapping(
                        .init([
                            (Node("target_concurrency"), number(autoscaling.targetConcurrency)),
                            (Node("min_replicas"), Node(String(autoscaling.minReplicas))),
                            (Node("max_replicas"), Node(String(autoscaling.maxReplicas))),
                            (Node("stable_window"), Node(autoscaling.stableWindow.routesText)),
                            (Node("panic_window"), Node(autoscaling.panicWindow.routesText)),
                        ]))
                ))
        }
        return Node.mapping(.init(pairs))
    }
}

extension CanaryPolicy {
    func node() -> Node {
        var pairs: [(Node, Node)] = [
            (Node("stable"), quoted(stable)),
            (Node("candidate"), quoted(candidate)),
            (Node("steps"), Node.sequence(.init(steps.map { Node(String($0)) }, .implicit, .flow))),
            (Node("interval"), Node(interval.routesText)),
            (Node("min_calls"), Node(String(minCalls))),
            (Node("max_error_rate"), number(maxErrorRate)),
            (Node("max_p99_ratio"), number(maxP99Ratio)),
        ]
        if let maxErrorRateAbsolute { pairs.append((Node("max_error_rate_absolute"), number(maxErrorRateAbsolute))) }
        if let maxP99 { pairs.append((Node("max_p99_ms"), number(Double(maxP99.totalNanoseconds) / 1e6))) }
        pairs.append((Node("fallback"), Node(fallback ? "true" : "false")))
        return Node.mapping(.init(pairs))
    }
}

/// Names and versions are quoted so that `"1"` or `yes` stay strings when read back.
private func quoted(_ text: String) -> Node {
    Node(text, .implicit, .doubleQuoted)
}

/// Whole numbers without a fraction (`90`, not `90.0`).
private func number(_ value: Double) -> Node {
    if value.rounded() == value, abs(value) < 1e15 { return Node(String(Int64(value))) }
    return Node(String(value))
}

private func endpointsNode(_ endpoints: [EndpointAddress]) -> Node {
    Node.sequence(.init(endpoints.map { quoted($0.description) }, .implicit, .flow))
}

private func serializeYAML(_ node: Node) -> String {
    // Serializing a tree built from strings cannot fail; an empty document is the fallback.
    (try? Yams.serialize(node: node, width: -1)) ?? ""
}

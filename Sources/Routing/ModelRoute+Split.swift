extension ModelRoute {
    /// The split to route with now: the canary state's weights when it belongs to this route's
    /// canary policy, else `staticWeights`. Every version is in it (unlisted ones at 0).
    public func trafficSplit(canary state: CanaryState?) -> TrafficSplit {
        var weights = staticWeights
        if let state, let canary, state.matches(canary) {
            for version in weights.keys { weights[version] = 0 }
            weights.merge(state.weights) { $1 }
        }
        // Validated routes always have a positive weight; the highest version is a safe fallback.
        return TrafficSplit(weights: weights) ?? TrafficSplit(single: versionOrder.last ?? "")
    }
}

extension ShadowPolicy {
    /// Whether to mirror this call, drawn with probability `percent` / 100.
    public func shouldMirror(random generator: inout some RandomNumberGenerator) -> Bool {
        percent > 0 && Double.random(in: 0..<100, using: &generator) < percent
    }
}

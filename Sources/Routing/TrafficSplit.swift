/// Weights over a model's versions, laid out as consecutive ranges of [0, 1) in `VersionOrder`.
///
/// A routing key hashes (with `StableHash`) to a point in [0, 1) and gets the version whose range
/// holds it. Because the order is fixed, changing weights moves only the keys in the ranges that
/// changed hands: taking a candidate from 10% to 20% re-routes about 10% of keys, all from the
/// stable version to the candidate, and every other key keeps its version.
public struct TrafficSplit: Sendable, Hashable {
    /// One version's range `[lowerBound, upperBound)`.
    public struct Range: Sendable, Hashable {
        public var version: String
        public var weight: Double
        public var lowerBound: Double
        public var upperBound: Double
    }

    /// Every version given, in `VersionOrder`, including those with weight 0 (which are never chosen).
    public let ranges: [Range]

    /// Nil when no weight is above 0, or a weight is negative or not finite.
    public init?(weights: [String: Double]) {
        guard weights.values.allSatisfy({ $0 >= 0 && $0.isFinite }) else { return nil }
        let total = weights.values.reduce(0, +)
        guard total > 0 else { return nil }
        var ranges: [Range] = []
        var cumulative = 0.0
        for version in VersionOrder.sorted(weights.keys) {
            let weight = weights[version] ?? 0
            let upper = cumulative + weight / total
            ranges.append(Range(version: version, weight: weight, lowerBound: cumulative, upperBound: upper))
            cumulative = upper
        }
        self.ranges = ranges
    }

    /// All traffic to one version.
    public init(single version: String) {
        ranges = [Range(version: version, weight: 100, lowerBound: 0, upperBound: 1)]
    }

    /// Each version's share of traffic, 0…1.
    public var fractions: [String: Double] {
        Dictionary(uniqueKeysWithValues: ranges.map { ($0.version, $0.upperBound - $0.lowerBound) })
    }

    /// The version for a sticky routing key: the same for the same key and weights, in any process.
    public func version(forKey key: String) -> String {
        version(at: StableHash.unitInterval(key))
    }

    /// A version drawn at random in proportion to the weights. Inlinable so the generator's
    /// calls are specialized in the caller rather than dispatched generically per call.
    @inlinable
    public func version(random generator: inout some RandomNumberGenerator) -> String {
        version(at: Double.random(in: 0..<1, using: &generator))
    }

    /// The version whose range holds `point` (in [0, 1)).
    public func version(at point: Double) -> String {
        // The last range with weight takes what rounding leaves at the top.
        var chosen = ranges[0].version
        for range in ranges where range.weight > 0 {
            chosen = range.version
            if point < range.upperBound { break }
        }
        return chosen
    }
}

import Testing

@testable import Routing

/// A seeded generator so statistical tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return StableHash.mix(state &- 0x9e37_79b9_7f4a_7c15)
    }
}

@Suite struct TrafficSplitTests {
    @Test func weightedRandomHonoursWeights() throws {
        let split = try #require(TrafficSplit(weights: ["1": 70, "2": 20, "3": 10, "4": 0]))
        var generator = SplitMix64(seed: 42)
        let calls = 10_000
        var counts: [String: Int] = [:]
        for _ in 0..<calls { counts[split.version(random: &generator), default: 0] += 1 }
        #expect(counts["4"] == nil)
        for (version, share) in [("1", 0.7), ("2", 0.2), ("3", 0.1)] {
            // Binomial count: within 4 standard deviations of the mean.
            let mean = Double(calls) * share
            let bound = 4 * (Double(calls) * share * (1 - share)).squareRoot()
            let count = Double(counts[version] ?? 0)
            #expect(abs(count - mean) <= bound, "version \(version): \(count) vs \(mean) ± \(bound)")
        }
    }

    @Test func stickyKeysAreStableAndSpread() throws {
        let keys = (0..<10_000).map { "user-\($0)" }
        let first = try #require(TrafficSplit(weights: ["1": 90, "2": 10]))
        let second = try #require(TrafficSplit(weights: ["2": 10, "1": 90]))
        #expect(keys.allSatisfy { first.version(forKey: $0) == second.version(forKey: $0) })
        let onCandidate = Double(keys.filter { first.version(forKey: $0) == "2" }.count)
        let bound = 4 * (10_000 * 0.1 * 0.9).squareRoot()
        #expect(abs(onCandidate - 1_000) <= bound)
        // A fixed value pins the hash across processes and machines.
        #expect(StableHash.hash64("") == StableHash.mix(0xcbf2_9ce4_8422_2325))
        #expect(StableHash.unitInterval("user-1") == StableHash.unitInterval("user-1"))
    }

    @Test func movingTheCandidateReroutesOnlyTheDifference() throws {
        let keys = (0..<10_000).map { "key-\($0)" }
        let before = try #require(TrafficSplit(weights: ["1": 90, "2": 10]))
        let after = try #require(TrafficSplit(weights: ["1": 80, "2": 20]))
        var moved = 0
        for key in keys where before.version(forKey: key) != after.version(forKey: key) {
            moved += 1
            #expect(before.version(forKey: key) == "1" && after.version(forKey: key) == "2")
        }
        let bound = 4 * (10_000 * 0.1 * 0.9).squareRoot()
        #expect(abs(Double(moved) - 1_000) <= bound, "\(moved) keys moved")
    }

    @Test func invalidWeightsAreRefused() {
        #expect(TrafficSplit(weights: [:]) == nil)
        #expect(TrafficSplit(weights: ["1": 0]) == nil)
        #expect(TrafficSplit(weights: ["1": -1, "2": 5]) == nil)
        #expect(TrafficSplit(weights: ["1": .infinity]) == nil)
    }

    @Test func zeroWeightVersionsAreNeverChosen() throws {
        let split = try #require(TrafficSplit(weights: ["1": 0, "2": 1, "3": 0]))
        #expect(split.version(at: 0) == "2")
        #expect(split.version(at: 0.999_999) == "2")
        #expect(split.fractions == ["1": 0, "2": 1, "3": 0])
        #expect(TrafficSplit(single: "7").version(forKey: "x") == "7")
    }

    @Test func selectorPrefersExplicitThenStickyThenWeighted() throws {
        let split = try #require(TrafficSplit(weights: ["1": 50, "2": 50]))
        let selector = VersionSelector(model: "iris", versions: ["1", "2", "3"], split: split)
        var generator = SplitMix64(seed: 1)
        let explicit = try selector.select(explicitVersion: "3", routingKey: "k", random: &generator)
        #expect(explicit == .init(version: "3", reason: .explicit))
        let sticky = try selector.select(explicitVersion: "", routingKey: "k", random: &generator)
        #expect(sticky == .init(version: split.version(forKey: "k"), reason: .sticky))
        let weighted = try selector.select(explicitVersion: nil, routingKey: "", random: &generator)
        #expect(weighted.reason == .weighted)
        #expect(throws: UnknownVersionError(model: "iris", version: "9", known: ["1", "2", "3"])) {
            try selector.select(explicitVersion: "9", routingKey: nil, random: &generator)
        }
        #expect(
            UnknownVersionError(model: "iris", version: "9", known: ["1", "2"]).description
                == "model \"iris\" has no version \"9\" (versions: 1, 2)")
    }
}

@Suite struct RouteSplitTests {
    @Test func canaryStateDrivesTheRouteSplit() throws {
        let route = try #require(try RoutesConfig(yaml: designExample, file: "routes.yaml").models["iris"])
        #expect(route.trafficSplit(canary: nil).fractions == ["1": 1, "2": 0])
        let policy = try #require(route.canary)
        let start = CanaryState.start(policy, at: .now)
        #expect(route.trafficSplit(canary: start).ranges.map(\.weight) == [95, 5])
        var other = policy
        other.candidate = "3"
        #expect(route.trafficSplit(canary: CanaryState.start(other, at: .now)).ranges.map(\.weight) == [100, 0])
        var fixed = route
        fixed.canary = nil
        fixed.traffic = ["2": 3, "1": 1]
        #expect(fixed.trafficSplit(canary: start).ranges.map(\.weight) == [1, 3])
    }

    @Test func shadowMirrorsItsPercentage() {
        var generator = SplitMix64(seed: 9)
        let shadow = ShadowPolicy(version: "2", percent: 10)
        let mirrored = (0..<10_000).filter { _ in shadow.shouldMirror(random: &generator) }.count
        #expect(abs(Double(mirrored) - 1_000) <= 4 * (10_000 * 0.1 * 0.9).squareRoot())
        #expect(!ShadowPolicy(version: "2", percent: 0).shouldMirror(random: &generator))
    }
}

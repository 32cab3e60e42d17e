import Synchronization

/// A fast random number generator for per-call choices (traffic splits, replica picks, trace
/// ids): SplitMix64 over one process-wide atomic counter seeded once from the system.
///
/// `SystemRandomNumberGenerator` makes a system call for every value, which showed up as a
/// tenth of the gateway's time per call. These values need to be unpredictable enough and
/// well spread, not cryptographically secure.
public struct FastRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private static let state: Atomic<UInt64> = {
        var system = SystemRandomNumberGenerator()
        return Atomic(system.next())
    }()

    public init() {}

    public mutating func next() -> UInt64 {
        let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
        var z = Self.state.wrappingAdd(gamma, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

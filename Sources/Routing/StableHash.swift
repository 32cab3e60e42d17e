/// A hash of strings that is the same in every process and on every machine, unlike `Hasher`
/// (seeded per process): sticky routing must put a key on the same version after a restart and on
/// every gateway replica.
public enum StableHash {
    /// FNV-1a (64-bit) over the UTF-8 bytes, then the splitmix64 finaliser so that similar keys
    /// spread over the whole range.
    public static func hash64(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return mix(hash)
    }

    /// The key's position in [0, 1), from the hash's top 53 bits (a Double's precision).
    public static func unitInterval(_ key: String) -> Double {
        Double(hash64(key) >> 11) * 0x1p-53
    }

    /// splitmix64's output function.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

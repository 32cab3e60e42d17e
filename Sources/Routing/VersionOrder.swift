/// The fixed order of version names that traffic splits lay their ranges out in: names that are
/// whole numbers by value (`"2"` before `"10"`), then the others alphabetically.
///
/// A fixed order is what keeps sticky keys in place when weights change.
public enum VersionOrder {
    /// True when `lhs` comes before `rhs`.
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        switch (UInt64(lhs), UInt64(rhs)) {
        case (let left?, let right?): return left != right ? left < right : lhs < rhs
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return lhs < rhs
        }
    }

    /// `versions` in this order.
    public static func sorted(_ versions: some Sequence<String>) -> [String] {
        versions.sorted(by: precedes)
    }
}

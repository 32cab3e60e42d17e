import Foundation

/// Numbers as table cells.
enum NumberText {
    /// Six significant digits, trailing zeros dropped: `0.975538`, `3`, `1.23457e+08`.
    static func significant(_ value: Double) -> String {
        nonFinite(value) ?? String(format: "%.6g", value)
    }

    /// A fixed number of decimals: `0.01`, `12.50`.
    static func fixed(_ value: Double, places: Int) -> String {
        nonFinite(value) ?? String(format: "%.\(places)f", value)
    }

    private static func nonFinite(_ value: Double) -> String? {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return nil
    }
}

extension Duration {
    /// Parses the routes file's duration spelling: a number followed by `h`, `m`, `s` or `ms`
    /// (`30s`, `500ms`, `1.5m`), or a plain number of seconds. Nil when malformed or negative.
    public init?(routesText text: String) {
        let trimmed = Substring(text)
        let units: [(suffix: String, nanoseconds: Int64)] = [
            ("ms", 1_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
        ]
        var number = trimmed
        var unit: Int64 = 1_000_000_000
        for candidate in units where trimmed.hasSuffix(candidate.suffix) {
            number = trimmed.dropLast(candidate.suffix.count)
            unit = candidate.nanoseconds
            break
        }
        guard let nanoseconds = Self.nanoseconds(decimal: number, unit: unit) else { return nil }
        self = .nanoseconds(nanoseconds)
    }

    /// The shortest exact routes-file spelling: `1h`, `2m`, `30s`, `500ms`, or decimal seconds.
    public var routesText: String {
        let total = totalNanoseconds
        for (suffix, unit) in [
            ("h", Int64(3_600_000_000_000)), ("m", 60_000_000_000), ("s", 1_000_000_000),
            ("ms", 1_000_000),
        ] where total % unit == 0 {
            return "\(total / unit)\(suffix)"
        }
        var fraction = String(total % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(total / 1_000_000_000).\(fraction)s"
    }

    /// Whole nanoseconds, saturating; durations in routes are far below the limit.
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }

    /// This duration in seconds as a floating-point number (for `Date` arithmetic and rates).
    public var secondsValue: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// `digits[.digits]` times `unit` nanoseconds, exactly, with up to 9 fractional digits.
    private static func nanoseconds(decimal text: Substring, unit: Int64) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit),
            let wholeValue = Int64(whole)
        else { return nil }
        var total = wholeValue.multipliedReportingOverflow(by: unit)
        guard !total.overflow else { return nil }
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy(\.isASCIIDigit),
                let fractionValue = Int64(fraction)
            else { return nil }
            var scale: Int64 = 1
            for _ in 0..<fraction.count { scale *= 10 }
            // Truncates below a nanosecond, the finest a duration here needs.
            let (product, overflow) = fractionValue.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            total = total.partialValue.addingReportingOverflow(product / scale)
            guard !total.overflow else { return nil }
        }
        return total.partialValue
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

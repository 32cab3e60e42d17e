import ONNXEngine
import Testing

/// Why `actual` differs from `expected`, or nil when they agree (floats within rtol/atol, others exactly).
func mismatch(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-3, atol: Double = 1e-5) -> String? {
    guard actual.elementType == expected.elementType else {
        return "type \(actual.elementType), expected \(expected.elementType)"
    }
    guard actual.shape == expected.shape else { return "shape \(actual.shape), expected \(expected.shape)" }
    func closeFloats(_ a: [Double], _ e: [Double]) -> String? {
        for i in a.indices {
            if a[i].isNaN && e[i].isNaN { continue }
            if a[i] == e[i] { continue }
            if abs(a[i] - e[i]) > atol + rtol * abs(e[i]) || a[i].isNaN != e[i].isNaN {
                return "element \(i) is \(a[i]), expected \(e[i])"
            }
        }
        return nil
    }
    switch (actual.storage, expected.storage) {
    case (.float32(let a), .float32(let e)): return closeFloats(a.map(Double.init), e.map(Double.init))
    case (.float64(let a), .float64(let e)): return closeFloats(a, e)
    default:
        if actual.storage == expected.storage { return nil }
        let a = "\(actual.storage)", e = "\(expected.storage)"
        return "values \(a.prefix(300)), expected \(e.prefix(300))"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kernel function of the ai.onnx.ml SVM operators, evaluated in float as onnxruntime does so
/// the decision values agree with it to float rounding.
struct SVMKernelFunction: Sendable {
    enum Kind: String, Sendable {
        case linear = "LINEAR", poly = "POLY", rbf = "RBF", sigmoid = "SIGMOID"
    }

    var kind: Kind
    var gamma: Float
    var coef0: Float
    var degree: Float

    /// Reads `kernel_type` and `kernel_params` (gamma, coef0, degree).
    init(_ context: NodeContext) throws {
        let name = try context.string("kernel_type", default: "LINEAR")
        guard let kind = Kind(rawValue: name) else {
            throw ONNXError.unsupported("kernel_type '\(name)' is not supported (LINEAR, POLY, RBF, SIGMOID)")
        }
        let parameters = try context.floats("kernel_params") ?? []
        guard parameters.isEmpty || parameters.count == 3 else {
            throw ONNXError.invalidModel(
                "attribute 'kernel_params' has \(parameters.count) values, expected 3 (gamma, coef0, degree)")
        }
        self.kind = kind
        gamma = parameters.first ?? 0
        coef0 = parameters.count == 3 ? parameters[1] : 0
        degree = parameters.count == 3 ? parameters[2] : 0
    }

    /// A linear kernel, which liblinear-style models (no support vectors) always use.
    static let linear = SVMKernelFunction(kind: .linear, gamma: 0, coef0: 0, degree: 0)

    private init(kind: Kind, gamma: Float, coef0: Float, degree: Float) {
        self.kind = kind
        self.gamma = gamma
        self.coef0 = coef0
        self.degree = degree
    }

    /// `out[r * count + v]` = K(row r of `x`, vector v of `vectors`) (+ `offset` for the linear kernel).
    func evaluate(
        _ x: UnsafePointer<Float>, rows: Int, features: Int, vectors: UnsafePointer<Float>, count: Int,
        offset: Float = 0, into out: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let row = x + r * features
            let results = out + r * count
            for v in 0..<count {
                let vector = vectors + v * features
                switch kind {
                case .rbf: results[v] = expf(-gamma * squaredDistance(row, vector, features))
                case .linear: results[v] = dot(row, vector, features) + offset
                case .poly: results[v] = power(gamma * dot(row, vector, features) + coef0)
                case .sigmoid: results[v] = tanhf(gamma * dot(row, vector, features) + coef0)
                }
            }
        }
    }

    private func power(_ base: Float) -> Float {
        switch degree {
        case 1: base
        case 2: base * base
        case 3: base * base * base
        default: powf(base, degree)
        }
    }
}

/// Σ a[i]·b[i] with four independent partial sums, so the loop vectorises under strict float rules.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var i = 0
    while i + 4 <= n {
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
        i += 4
    }
    while i < n { s0 += a[i] * b[i]; i += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// Σ (a[i] − b[i])², with four partial sums like `dot`.
@inline(__always)
func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var i = 0
    while i + 4 <= n {
        let d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1], d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3]
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
        i += 4
    }
    while i < n { let d = a[i] - b[i]; s0 += d * d; i += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// The elements of an SVM input as float, the type onnxruntime computes SVMs in.
func svmInput(_ x: Tensor) throws -> [Float] {
    switch x.storage {
    case .float32(let v): return v
    case .float64(let v): return v.map { Float($0) }
    case .int64(let v): return v.map { Float($0) }
    case .int32(let v): return v.map { Float($0) }
    default: throw typeError(0, x, expected: "tensor(float), tensor(double), tensor(int64) or tensor(int32)")
    }
}

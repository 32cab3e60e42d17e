#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libsvm's probability estimates (Platt scaling per class pair, then Wu, Lin and Weng's pairwise
/// coupling), in float and with the same iteration and stopping rule as onnxruntime so the
/// probabilities agree with it.
enum SVMProbability {
    /// 1 − logistic(score·a + b): the probability that the first class of a pair wins.
    static func pairProbability(_ score: Float, _ a: Float, _ b: Float) -> Float {
        1 - logisticFloat(score * a + b)
    }

    /// The logistic function computed on |x| and mirrored, as onnxruntime does.
    static func logisticFloat(_ x: Float) -> Float {
        let v = 1 / (1 + expf(-abs(x)))
        return x < 0 ? 1 - v : v
    }

    /// Class probabilities from the pairwise scores of one row (`pairScores` in (i, j > i) order).
    /// `pairs` (k×k) and `q` (k×k) and `qp` (k) are scratch space.
    static func couple(
        _ pairScores: UnsafePointer<Float>, probA: [Float], probB: [Float], classes k: Int,
        pairs r: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>, qp: UnsafeMutablePointer<Float>,
        into p: UnsafeMutablePointer<Float>
    ) {
        var index = 0
        for i in 0..<k {
            for j in (i + 1)..<max(k, i + 1) {
                let probability = min(max(pairProbability(pairScores[index], probA[index], probB[index]), 1e-7), 1 - 1e-7)
                r[i * k + j] = probability
                r[j * k + i] = 1 - probability
                index += 1
            }
        }
        for i in 0..<(k * k) { q[i] = 0 }
        for i in 0..<k {
            p[i] = 1 / Float(k)
            for j in 0..<i {
                q[i * k + i] += r[j * k + i] * r[j * k + i]
                q[i * k + j] = q[j * k + i]
            }
            for j in (i + 1)..<max(k, i + 1) {
                q[i * k + i] += r[j * k + i] * r[j * k + i]
                q[i * k + j] = -r[j * k + i] * r[i * k + j]
            }
        }
        let epsilon = 0.005 / Float(k)
        for _ in 0..<100 {
            // Recomputed each round for accuracy, as libsvm does.
            var pqp: Float = 0
            for i in 0..<k {
                qp[i] = 0
                for j in 0..<k { qp[i] += q[i * k + j] * p[j] }
                pqp += p[i] * qp[i]
            }
            var maxError: Float = 0
            for i in 0..<k { maxError = max(maxError, abs(qp[i] - pqp)) }
            if maxError < epsilon { break }
            for i in 0..<k {
                let diff = (-qp[i] + pqp) / q[i * k + i]
                p[i] += diff
                pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff)
                for j in 0..<k {
                    qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff)
                    p[j] /= 1 + diff
                }
            }
        }
    }
}

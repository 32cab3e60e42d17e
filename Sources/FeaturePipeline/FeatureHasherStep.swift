/// scikit-learn's FeatureHasher with input_type "string" over rows of text values: each value is
/// a token hashed with MurmurHash3 (x86, 32-bit, seed 0) into `features` columns, with the hash's
/// sign as the value when alternate_sign is on.
struct FeatureHasherStep: CompiledStep {
    let features: Int
    let alternateSign: Bool
    let labels: [String]

    static func compile(_ context: Context, features: Int, alternateSign: Bool) throws(PipelineSpecError) -> StepCompiler.Compiled
    {
        try context.refuseIgnored()
        if let number = context.schema.first(where: { $0.kind == .numeric }) {
            throw context.error("hashes text, but column '\(number.label)' holds numbers")
        }
        return StepCompiler.Compiled(
            step: FeatureHasherStep(features: features, alternateSign: alternateSign, labels: context.schema.map(\.label)),
            schema: (0..<features).map { context.derived("hash \($0)") })
    }

    func apply(_ batch: inout ColumnBatch) throws(PipelineInputError) {
        var output = [[Double]](repeating: [Double](repeating: 0, count: batch.rows), count: features)
        for (index, label) in labels.enumerated() {
            let text = batch.text(index)
            if let row = text.missing.firstIndex(of: true) {
                throw PipelineInputError(row: row, column: label, reason: "feature_hasher cannot hash a missing value")
            }
            text.bytes.withUnsafeBufferPointer { bytes in
                for row in 0..<batch.rows {
                    let hash = MurmurHash3.hash32(UnsafeBufferPointer(rebasing: bytes[text.range(of: row)]), seed: 0)
                    let column =
                        hash == Int32.min
                        ? (Int(Int32.max) - (features - 1)) % features
                        : Int(Swift.abs(hash)) % features
                    output[column][row] += alternateSign && hash < 0 ? -1 : 1
                }
            }
        }
        batch.columns = output.map { .numbers($0) }
    }
}

/// MurmurHash3_x86_32, as scikit-learn's murmurhash3_bytes_s32 computes it (signed result).
enum MurmurHash3 {
    static func hash32(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt32) -> Int32 {
        let c1: UInt32 = 0xcc9e_2d51
        let c2: UInt32 = 0x1b87_3593
        var h = seed
        let blocks = bytes.count / 4
        for block in 0..<blocks {
            let i = block * 4
            var k = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            k = (k &* c1).rotatedLeft(15) &* c2
            h ^= k
            h = h.rotatedLeft(13) &* 5 &+ 0xe654_6b64
        }
        var k: UInt32 = 0
        let tail = blocks * 4
        switch bytes.count & 3 {
        case 3:
            k ^= UInt32(bytes[tail + 2]) << 16
            fallthrough
        case 2:
            k ^= UInt32(bytes[tail + 1]) << 8
            fallthrough
        case 1:
            k ^= UInt32(bytes[tail])
            k = (k &* c1).rotatedLeft(15) &* c2
            h ^= k
        default:
            break
        }
        h ^= UInt32(truncatingIfNeeded: bytes.count)
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return Int32(bitPattern: h)
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotatedLeft(_ count: UInt32) -> UInt32 { (self << count) | (self >> (32 - count)) }
}

import ONNXEngine

// onnx-bench: runs an ONNX model with the native engine on random FP32 rows for a while and prints
// rows per second and the median time of one run, in the same format as bench/engine_ort.py.
//   onnx-bench MODEL.onnx [--batch N] [--seconds S]
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Options {
    var model = ""
    var batch = 1
    var seconds = 3.0

    init(_ arguments: [String]) throws(UsageError) {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--batch": batch = try Self.number(rest.popFirst(), argument)
            case "--seconds": seconds = try Self.number(rest.popFirst(), argument)
            case _ where argument.hasPrefix("-"): throw UsageError("unknown option \(argument)")
            default: model = argument
            }
        }
        if model.isEmpty { throw UsageError("no model given") }
        if batch < 1 || seconds <= 0 { throw UsageError("--batch and --seconds must be positive") }
    }

    static func number<N: LosslessStringConvertible>(_ text: String?, _ option: String) throws(UsageError) -> N {
        guard let text, let value = N(text) else { throw UsageError("\(option) needs a number") }
        return value
    }
}

struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Writes the message to standard error and exits with status 2.
func fail(_ message: String) -> Never {
    var text = "onnx-bench: \(message)\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// Monotonic seconds.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Deterministic pseudo-random floats in [0, 8), the same every run (xorshift).
func randomRows(_ count: Int) -> [Float] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(state >> 40) / Float(1 << 24) * 8
    }
}

func main() throws {
    let options: Options
    do {
        options = try Options(Array(CommandLine.arguments.dropFirst()))
    } catch {
        fail("\(error.message)\nusage: onnx-bench MODEL.onnx [--batch N] [--seconds S]")
    }
    let model = try ONNXModel(contentsOfFile: options.model)
    guard let input = model.inputs.first, model.inputs.count == 1, let shape = input.shape, shape.count == 2,
        case .fixed(let width) = shape[1]
    else {
        fail("the model needs one input of shape [rows, width] with a fixed width")
    }
    let feeds = [input.name: Tensor(shape: [options.batch, width], floats: randomRows(options.batch * width))]
    for _ in 0..<10 { _ = try model.run(feeds) }  // warm-up: caches, buffer pool

    var durations: [Double] = []
    let start = now()
    var elapsed = 0.0
    while elapsed < options.seconds {
        let before = now()
        _ = try model.run(feeds)
        let after = now()
        durations.append(after - before)
        elapsed = after - start
    }
    durations.sort()
    let rowsPerSecond = Double(durations.count * options.batch) / elapsed
    let median = durations[durations.count / 2] * 1e6
    print(
        "engine=swift batch=\(options.batch) runs=\(durations.count) rows_per_s=\(Int(rowsPerSecond)) p50_us=\((median * 10).rounded() / 10)"
    )
}

try main()

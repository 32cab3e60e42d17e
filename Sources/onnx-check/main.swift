import ONNXCheck

// onnx-check: the native engine on rows from a CSV file, outputs as JSON (logic in ONNXCheck).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func emit(_ text: String, to descriptor: Int32) {
    guard !text.isEmpty else { return }
    var line = text + "\n"
    line.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if n <= 0 { break }
            offset += n
        }
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    emit(CheckCommand.usage, to: 1)
    exit(0)
}
do {
    let outcome = try CheckCommand(arguments: arguments).run()
    emit(outcome.stdout, to: 1)
    emit(outcome.stderr, to: 2)
    exit(outcome.status)
} catch {
    emit("onnx-check: \(error.message)\n\(CheckCommand.usage)", to: 2)
    exit(2)
}

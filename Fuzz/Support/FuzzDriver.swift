import CFuzzerDriver
import Foundation

/// Runs one fuzz target: under libFuzzer (a `-sanitize=fuzzer` build, see `scripts/fuzz`) it
/// fuzzes; in a plain build it replays the files and directories given as arguments once each,
/// which is how a saved crash is reproduced and how seeds are checked without the fuzzer.
public enum FuzzDriver {
    /// Runs one input; returns whether it was accepted (parsed), which replays count so that a
    /// seed that no longer parses is noticed.
    public typealias Body = (UnsafeRawBufferPointer) -> Bool

    /// The target's body; libFuzzer's C callback cannot capture, so it reads this global.
    /// Written once before fuzzing starts, then only read from libFuzzer's single thread.
    nonisolated(unsafe) private static var body: Body = { _ in false }

    public static func run(_ body: @escaping Body) -> Never {
        Self.body = body
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = fuzz_driver_run(&argc, &argv) { data, size in
            _ = FuzzDriver.body(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
        if status >= 0 { exit(status) }
        exit(replay(Array(CommandLine.arguments.dropFirst())))
    }

    /// Feeds every file named (directories: every file inside) to the body.
    private static func replay(_ paths: [String]) -> Int32 {
        guard !paths.isEmpty else {
            print("usage: \(CommandLine.arguments[0]) FILE|DIR...  (built without libFuzzer: replays inputs once)")
            return 2
        }
        var count = 0
        var accepted = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("cannot read \(file)")
                    return 1
                }
                if data.withUnsafeBytes({ body($0) }) {
                    accepted += 1
                } else {
                    print("not accepted: \(file)")
                }
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash, \(accepted) accepted")
        return 0
    }

    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [path]
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { "\(path)/\($0)" }
    }
}

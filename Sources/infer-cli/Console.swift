import Foundation

/// Writes straight to the standard streams, unbuffered, so a `--repeat` stream shows each call
/// as it returns even through a pipe.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// One line on standard error.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

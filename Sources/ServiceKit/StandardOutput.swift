#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` to stdout at once, unbuffered.
func writeToStandardOutput(_ text: String) {
    writeAll(text, to: STDOUT_FILENO)
}

/// Writes all of `text` to `descriptor` with as few `write` calls as the kernel allows (retrying
/// after EINTR), so one log line or announcement is not interleaved with another's.
func writeAll(_ text: String, to descriptor: Int32) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

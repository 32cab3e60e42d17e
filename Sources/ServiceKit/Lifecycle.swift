import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `listening on HOST:PORT` and a newline to stdout at once (unbuffered): scripts and
/// tests read the bound port from this line.
public func announceListening(host: String, port: Int) {
    let line = Array("listening on \(host):\(port)\n".utf8)
    line.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

/// Returns on the first SIGTERM or SIGINT.
public func waitForTermination() async {
    for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { return }
}

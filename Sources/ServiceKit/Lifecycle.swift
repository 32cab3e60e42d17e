import UnixSignals

/// Writes `listening on HOST:PORT` and a newline to stdout at once (unbuffered): scripts and
/// tests read the bound port from this line.
public func announceListening(host: String, port: Int) {
    writeToStandardOutput("listening on \(host):\(port)\n")
}

/// Returns on the first SIGTERM or SIGINT. The signals are trapped only from this call on;
/// `ServiceRuntime` traps them at start instead, so an early SIGTERM still drains.
public func waitForTermination() async {
    for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { return }
}

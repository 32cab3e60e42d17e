/// Writes `listening on HOST:PORT` and a newline to stdout at once (unbuffered): scripts and
/// tests read the bound port from this line.
func announceListening(host: String, port: Int) {
    writeToStandardOutput("listening on \(host):\(port)\n")
}

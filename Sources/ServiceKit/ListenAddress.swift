import ArgumentParser

/// A `HOST:PORT` address given on the command line.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    /// 0 asks the system for a free port.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (the port last, so `[::1]:80` and `::1:80` work); the error names
    /// `flag` so the user knows which option to fix.
    public init(parsing text: String, flag: String = "--listen") throws(ValidationError) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
            let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port)
        else {
            throw ValidationError("\(flag) '\(text)' is not HOST:PORT with a port from 0 to 65535")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            throw ValidationError("\(flag) '\(text)' has an empty host (use 0.0.0.0 for every interface)")
        }
        self.init(host: host, port: port)
    }

    public var description: String { "\(host):\(port)" }
}

/// Where a version's (or pipeline's) replicas are: a fixed `host:port`, or a DNS name re-resolved
/// over time (`dns:///name:port`, how a Kubernetes headless Service is consumed).
public enum EndpointAddress: Sendable, Hashable, CustomStringConvertible {
    /// One replica at `host:port`; `host` is a name or an IP address (IPv6 without brackets).
    case hostPort(host: String, port: Int)
    /// Every address the name resolves to, each at `port`.
    case dns(name: String, port: Int)

    /// Parses `host:port`, `[v6]:port` or `dns:///name:port`; the error message says what is wrong.
    public init(parsing text: String) throws(EndpointAddressError) {
        if text.hasPrefix("dns://") {
            guard text.hasPrefix("dns:///") else {
                throw EndpointAddressError(text, "DNS endpoints are written dns:///name:port (three slashes)")
            }
            let (name, port) = try Self.splitHostPort(String(text.dropFirst("dns:///".count)), whole: text)
            self = .dns(name: name, port: port)
        } else {
            let (host, port) = try Self.splitHostPort(text, whole: text)
            self = .hostPort(host: host, port: port)
        }
    }

    /// The text form, which `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .hostPort(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .dns(let name, let port):
            return "dns:///\(name):\(port)"
        }
    }

    private static func splitHostPort(_ text: String, whole: String) throws(EndpointAddressError) -> (String, Int) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw EndpointAddressError(whole, "an IPv6 address is written [address]:port")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw EndpointAddressError(whole, "missing :port")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw EndpointAddressError(whole, "an IPv6 address is written [address]:port")
            }
        }
        guard !host.isEmpty, !host.contains(where: { $0 == "/" || $0 == " " }) else {
            throw EndpointAddressError(whole, "missing or malformed host")
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw EndpointAddressError(whole, "port must be a number from 1 to 65535")
        }
        return (String(host), port)
    }
}

/// Why a string is not an endpoint address.
public struct EndpointAddressError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var reason: String

    init(_ text: String, _ reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "\"\(text)\" is not an endpoint: \(reason)" }
}

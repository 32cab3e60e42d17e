/// Where the shared rollout state lives: `--coordination etcd://HOST:PORT[,HOST:PORT...]/PREFIX`.
///
/// Every key the gateways share starts with `PREFIX/` (default `inference-mesh`), so several
/// independent gateway fleets can use one etcd cluster under different prefixes.
public struct CoordinationTarget: Sendable, Hashable {
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public var endpoints: [Endpoint]
    /// The key prefix, without leading or trailing slashes.
    public var prefix: String

    /// Parses the flag's value; the error says what is wrong with it.
    public init(parsing text: String) throws(CoordinationTargetError) {
        let scheme = "etcd://"
        guard text.hasPrefix(scheme) else {
            throw CoordinationTargetError("must start with \(scheme), as in etcd://10.0.0.5:2379,10.0.0.6:2379/inference-mesh")
        }
        let rest = text.dropFirst(scheme.count)
        let hostList = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostList.count).drop { $0 == "/" }
        var endpoints: [Endpoint] = []
        for item in hostList.split(separator: ",", omittingEmptySubsequences: false) {
            endpoints.append(try Self.endpoint(String(item)))
        }
        guard !endpoints.isEmpty else { throw CoordinationTargetError("names no etcd endpoint") }
        let prefix = path.split(separator: "/").joined(separator: "/")
        guard prefix.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw CoordinationTargetError("has a prefix with spaces or characters outside printable ASCII")
        }
        self.endpoints = endpoints
        self.prefix = prefix.isEmpty ? "inference-mesh" : prefix
    }

    private static func endpoint(_ text: String) throws(CoordinationTargetError) -> Endpoint {
        var host = Substring(text)
        var portText: Substring
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]"), host[host.index(after: close)...].hasPrefix(":") else {
                throw CoordinationTargetError("has an endpoint \"\(text)\" that is not [IPv6]:PORT")
            }
            portText = host[host.index(close, offsetBy: 2)...]
            host = host[host.index(after: host.startIndex)..<close]
        } else {
            guard let colon = host.lastIndex(of: ":") else {
                throw CoordinationTargetError("has an endpoint \"\(text)\" without a port (HOST:PORT)")
            }
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw CoordinationTargetError("has an endpoint \"\(text)\" without a host") }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw CoordinationTargetError("has an endpoint \"\(text)\" whose port is not 1-65535")
        }
        return Endpoint(host: String(host), port: port)
    }
}

/// A `--coordination` value that cannot be used.
public struct CoordinationTargetError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "--coordination \(reason)" }
}

import NIOPosix
import Routing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One concrete replica address.
public struct Upstream: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Turns route endpoints into replica addresses: `host:port` as written, `dns:///name:port` into
/// every address the name has now (a Kubernetes headless Service lists one per ready pod).
public struct AddressResolver: Sendable {
    /// Looks a name up; injected so tests need no DNS.
    public var lookup: @Sendable (String) async throws -> [String]

    public init(lookup: @escaping @Sendable (String) async throws -> [String] = AddressResolver.systemLookup) {
        self.lookup = lookup
    }

    /// The replicas behind `endpoint`; a name that does not resolve throws.
    public func resolve(_ endpoint: EndpointAddress) async throws -> [Upstream] {
        switch endpoint {
        case .hostPort(let host, let port):
            return [Upstream(host: host, port: port)]
        case .dns(let name, let port):
            return try await lookup(name).map { Upstream(host: $0, port: port) }
        }
    }

    /// getaddrinfo on NIO's blocking-work thread pool (it blocks, so never on the cooperative pool).
    public static let systemLookup: @Sendable (String) async throws -> [String] = { name in
        try await NIOThreadPool.singleton.runIfActive { try getAddresses(name) }
    }

    private static func getAddresses(_ name: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw ResolutionError(name: name, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
                == 0
            {
                let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses.sorted()
    }
}

/// A DNS name that did not resolve.
public struct ResolutionError: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var reason: String
    public var description: String { "cannot resolve \(name): \(reason)" }
}

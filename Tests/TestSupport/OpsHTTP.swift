import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// GETs from a process's ops port (/metrics, /healthz, /readyz) over a raw socket
/// (`Connection: close`), on a Dispatch thread; `exchange` sends any bytes a test writes.
public enum OpsHTTP {
    public struct Response: Sendable {
        public var status: Int
        public var body: String
    }

    /// The response, or nil when nothing accepts the connection or no answer comes within
    /// `timeoutSeconds`.
    public static func get(port: Int, _ path: String, timeoutSeconds: Int = 10) async -> Response? {
        let request = "GET \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        guard let received = await exchange(port: port, request, timeoutSeconds: timeoutSeconds) else { return nil }
        let text = String(decoding: received, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n"), let statusLine = text.split(separator: "\r\n").first else { return nil }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        return Response(status: status, body: String(text[headerEnd.upperBound...]))
    }

    /// Sends `request` as written to 127.0.0.1:`port` over a raw socket, on a Dispatch thread,
    /// and returns every byte received until the server closes (or `timeoutSeconds` pass
    /// without any); nil when nothing accepts the connection. Tests control every byte.
    public static func exchange(port: Int, _ request: String, timeoutSeconds: Int = 10) async -> [UInt8]? {
        await PythonPeer.offCooperativePool { blockingExchange(port: port, request, timeoutSeconds: timeoutSeconds) }
    }

    /// `series → value` of a process's /metrics; nil when it does not answer 200.
    public static func metrics(port: Int, timeoutSeconds: Int = 10) async -> [String: Double]? {
        guard let response = await get(port: port, "/metrics", timeoutSeconds: timeoutSeconds), response.status == 200
        else { return nil }
        return parseExposition(response.body)
    }

    /// `series → value` from Prometheus text, a series written as exposed: `name{label="value",...}`.
    public static func parseExposition(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }

    private static func blockingExchange(port: Int, _ request: String, timeoutSeconds: Int) -> [UInt8]? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return received
    }
}

import TestSupport

/// A minimal HTTP/1.1 client over `OpsHTTP.exchange`'s raw socket, so tests control every byte,
/// that splits what comes back into responses.
enum RawHTTP {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Sends `request` bytes to 127.0.0.1:`port` and reads until the server closes; returns
    /// each response found (several for pipelined requests), or nil when no connection opens.
    static func exchange(port: Int, _ request: String) async -> [Response]? {
        await OpsHTTP.exchange(port: port, request).map { parse(String(decoding: $0, as: UTF8.self)) }
    }

    /// One GET with `Connection: close`.
    static func get(port: Int, _ path: String) async -> Response? {
        await exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")?.first
    }

    /// Splits a stream of responses using their Content-Length.
    static func parse(_ text: String) -> [Response] {
        var responses: [Response] = []
        var rest = Substring(text)
        while let end = rest.range(of: "\r\n\r\n") {
            let lines = rest[..<end.lowerBound].split(separator: "\r\n")
            guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
                let status = Int(statusLine.split(separator: " ")[1])
            else { break }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: " ")
            }
            let length = Int(headers["content-length"] ?? "") ?? 0
            let bodyStart = end.upperBound
            let bodyBytes = rest[bodyStart...].utf8.prefix(length)
            responses.append(Response(status: status, headers: headers, body: String(decoding: bodyBytes, as: UTF8.self)))
            rest = rest[rest.utf8.index(bodyStart, offsetBy: bodyBytes.count)...]
        }
        return responses
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}

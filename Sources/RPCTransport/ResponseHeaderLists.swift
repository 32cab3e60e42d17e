import RPCCore

/// The header blocks of a gRPC response: response headers, status trailers, and both in one
/// block for a Trailers-Only reply.
enum ResponseHeaderLists {
    private static let plainHeaders: HeaderList = [
        HeaderField(":status", "200"), HeaderField("content-type", "application/grpc"),
    ]
    private static let okTrailers: HeaderList = [HeaderField("grpc-status", "0")]

    /// `:status 200`, the gRPC content type and the handler's custom headers.
    static func headers(_ custom: Metadata) -> HeaderList {
        if custom.isEmpty { return plainHeaders }
        var headers = plainHeaders
        // Room for the custom fields and a Trailers-Only status, so one allocation.
        headers.reserveCapacity(headers.count + custom.count + 3)
        for (name, value) in custom { headers.append(HeaderField(name, value)) }
        return headers
    }

    /// `grpc-status`, `grpc-message` when there is one, and the custom trailers; a shared list for
    /// a plain OK.
    static func status(_ code: StatusCode, _ message: String, _ custom: Metadata) -> HeaderList {
        if code == .ok, message.isEmpty, custom.isEmpty { return okTrailers }
        var trailers: HeaderList = [HeaderField("grpc-status", String(code.rawValue))]
        if !message.isEmpty { trailers.append(HeaderField("grpc-message", PercentEncoding.encode(message))) }
        for (name, value) in custom { trailers.append(HeaderField(name, value)) }
        return trailers
    }

    /// One block ending the stream: headers then status (Trailers-Only), sent when a call fails
    /// before any reply.
    static func trailersOnly(headers custom: Metadata, _ code: StatusCode, _ message: String, _ trailers: Metadata) -> HeaderList
    {
        var headers = headers(custom)
        headers += status(code, message, trailers)
        return headers
    }
}

import RPCCore

/// The parts of a gRPC request's headers the server acts on.
struct RequestHead {
    var method = ""
    var path = ""
    var contentType: String?
    var encoding: String?
    var timeout: String?
    var metadata = Metadata()

    init(_ headers: HeaderList) {
        for (index, field) in headers.enumerated() {
            let (name, value) = (field.name, field.value)
            switch name {
            case ":method": method = value
            case ":path": path = value
            case "content-type": contentType = value
            case "grpc-encoding": encoding = value
            case "grpc-timeout": timeout = value
            // Framing headers, not the application's metadata.
            case "te", "grpc-accept-encoding", "content-length", "connection", "host": break
            // At most the headers left: one allocation however many there are.
            default: metadata.addReceived(field, room: headers.count - index)
            }
        }
    }

    /// The `grpc-timeout` in nanoseconds, when present and well-formed.
    var timeoutNanoseconds: Int64? { timeout.flatMap(GRPCTimeout.parse) }

    /// Why this request cannot become a call, if it cannot, with the HTTP status to answer with.
    func rejection(knownMethod: Bool) -> (error: RPCError, httpStatus: Int)? {
        guard let error = callError(knownMethod: knownMethod) else { return nil }
        // A client that is not speaking gRPC at all gets a plain HTTP error (the gRPC spec's 415).
        let speaksGRPC = contentType?.hasPrefix("application/grpc") ?? false
        return (error, speaksGRPC ? 200 : 415)
    }

    private func callError(knownMethod: Bool) -> RPCError? {
        guard method == "POST" else {
            return RPCError(.unimplemented, "gRPC requires POST, got \(method.isEmpty ? "no method" : method)")
        }
        guard let contentType,
            contentType == "application/grpc" || contentType.hasPrefix("application/grpc+")
                || contentType.hasPrefix("application/grpc;")
        else {
            return RPCError(.unimplemented, "content-type \(contentType ?? "(missing)") is not application/grpc")
        }
        if contentType.hasPrefix("application/grpc+"), !contentType.hasPrefix("application/grpc+proto") {
            return RPCError(.unimplemented, "content-type \(contentType) is not supported; only protobuf messages are")
        }
        if let encoding, encoding != "identity" {
            return RPCError(
                .unimplemented, "grpc-encoding \(encoding) is not supported; send uncompressed messages",
                metadata: ["grpc-accept-encoding": "identity"])
        }
        if let timeout, GRPCTimeout.parse(timeout) == nil {
            return RPCError(.invalidArgument, "malformed grpc-timeout header: \(timeout)")
        }
        guard knownMethod else {
            return RPCError(.unimplemented, "unknown method \(path)")
        }
        return nil
    }
}

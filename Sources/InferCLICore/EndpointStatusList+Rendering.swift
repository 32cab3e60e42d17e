import AdminAPI
import JSONDocument

extension EndpointStatusList {
    /// One line per endpoint; an ejected endpoint's state says until when, and a version with no
    /// usable replica shows its replicas as `(panic)`: calls go to them anyway.
    public var table: String {
        guard !endpoints.isEmpty else { return "no endpoints\n" }
        var table = TextTable(
            headers: ["MODEL", "VERSION", "ENDPOINT", "ADDRESS", "STATE", "OUTSTANDING", "FAILURES"], rightAligned: [5, 6])
        for endpoint in endpoints {
            var state = endpoint.state
            if endpoint.ejectedUntilUnixMilliseconds > 0 {
                state += " until " + TimeFormatting.utc(unixMilliseconds: endpoint.ejectedUntilUnixMilliseconds)
            }
            if endpoint.panic { state += " (panic)" }
            table.append([
                endpoint.model, endpoint.version, endpoint.endpoint, endpoint.address.isEmpty ? "-" : endpoint.address, state,
                "\(endpoint.outstanding)", "\(endpoint.consecutiveFailures)",
            ])
        }
        return table.rendered
    }

    public var json: JSONValue {
        .members([
            "endpoints": .array(
                endpoints.map { endpoint in
                    .members([
                        "model": .string(endpoint.model),
                        "version": .string(endpoint.version),
                        "endpoint": .string(endpoint.endpoint),
                        "address": .string(endpoint.address),
                        "state": .string(endpoint.state),
                        "outstanding": .int(endpoint.outstanding),
                        "consecutive_failures": .int(endpoint.consecutiveFailures),
                        "ejected_until_unix_ms": .int(endpoint.ejectedUntilUnixMilliseconds),
                        "panic": .bool(endpoint.panic),
                    ])
                })
        ])
    }
}

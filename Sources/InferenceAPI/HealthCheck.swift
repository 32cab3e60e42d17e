/// `grpc.health.v1.HealthCheckRequest`: the status of one service, or of the server for "".
public struct HealthCheckRequest: Sendable, Hashable {
    public var service: String

    public init(service: String = "") { self.service = service }
}

/// `grpc.health.v1.HealthCheckResponse`.
public struct HealthCheckResponse: Sendable, Hashable {
    /// Whether a service can take calls.
    public enum ServingStatus: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case unknown = 0
        case serving = 1
        case notServing = 2
        /// Only sent by Watch, for a service the server does not know (yet).
        case serviceUnknown = 3

        /// The protobuf enum name (`NOT_SERVING`).
        public var description: String {
            switch self {
            case .unknown: "UNKNOWN"
            case .serving: "SERVING"
            case .notServing: "NOT_SERVING"
            case .serviceUnknown: "SERVICE_UNKNOWN"
            }
        }
    }

    public var status: ServingStatus

    public init(status: ServingStatus) { self.status = status }
}

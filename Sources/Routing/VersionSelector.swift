/// Chooses the version that serves a call: an explicit `model_version` wins, else a routing key
/// (request parameter `routing_key` or metadata `x-routing-key`) is hashed onto the split, else the
/// split is drawn at random.
public struct VersionSelector: Sendable, Hashable {
    /// Why a version was chosen (for logs, metrics and response headers).
    public enum Reason: String, Sendable, Hashable {
        /// The caller named the version.
        case explicit
        /// The caller's routing key hashed onto the split.
        case sticky
        /// Drawn at random by weight.
        case weighted
    }

    /// A choice and its reason.
    public struct Choice: Sendable, Hashable {
        public var version: String
        public var reason: Reason

        @inlinable
        init(version: String, reason: Reason) {
            self.version = version
            self.reason = reason
        }
    }

    public var model: String
    /// Every version callers may name explicitly.
    public var versions: Set<String>
    /// The current split (from `traffic`, or from the canary state).
    public var split: TrafficSplit

    public init(model: String, versions: Set<String>, split: TrafficSplit) {
        self.model = model
        self.versions = versions
        self.split = split
    }

    /// Chooses a version. An empty `explicitVersion` or `routingKey` counts as absent, as the
    /// protocol's `model_version` is empty when not set.
    @inlinable
    public func select(
        explicitVersion: String?, routingKey: String?, random generator: inout some RandomNumberGenerator
    ) throws(UnknownVersionError) -> Choice {
        if let explicitVersion, !explicitVersion.isEmpty {
            guard versions.contains(explicitVersion) else { throw unknown(explicitVersion) }
            return Choice(version: explicitVersion, reason: .explicit)
        }
        if let routingKey, !routingKey.isEmpty {
            return Choice(version: split.version(forKey: routingKey), reason: .sticky)
        }
        return Choice(version: split.version(random: &generator), reason: .weighted)
    }

    @usableFromInline
    func unknown(_ version: String) -> UnknownVersionError {
        UnknownVersionError(model: model, version: version, known: VersionOrder.sorted(versions))
    }
}

/// A call named a version the route does not have; the gateway answers NOT_FOUND.
public struct UnknownVersionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var model: String
    public var version: String
    /// The versions the model has, in `VersionOrder`.
    public var known: [String]

    public var description: String {
        "model \"\(model)\" has no version \"\(version)\" (versions: \(known.joined(separator: ", ")))"
    }
}

import Foundation
import RPCCore
import YAMLLimits
import Yams

/// Who may call the gateway (`--auth-tokens FILE`). The file lists tokens by their SHA-256
/// digest, never in clear:
///
/// ```yaml
/// tokens:
///   - name: checkout-service            # shown in logs, never the token
///     sha256: 9f86d081884c7d65...       # hex SHA-256 of the token (`printf %s TOKEN | sha256sum`)
///     models: [iris]                    # optional allow-list; omitted = every model
///   - name: release-bot
///     env: RELEASE_BOT_TOKEN            # or: the token is read from this environment variable
///     admin: true                       # may call the admin service (default false)
/// ```
/// Callers send `authorization: Bearer TOKEN`. Without a valid token a call is UNAUTHENTICATED;
/// a model outside the token's allow-list, or the admin service without `admin: true`, is
/// PERMISSION_DENIED. Neither status says which tokens exist.
public struct AccessTokens: Sendable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        var digest: [UInt8]
        /// Nil allows every model.
        public var models: Set<String>?
        public var admin: Bool
    }

    public let entries: [Entry]

    /// Parses the token file; errors name the file, the entry and the key.
    public init(yaml: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func fail(_ path: String, _ message: String) -> Error {
            GatewayConfigurationError(description: path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)")
        }
        if let line = YAMLNesting.lineTooDeep(in: yaml) {
            throw fail("", "nests deeper than \(YAMLNesting.maxDepth) levels (line \(line))")
        }
        guard let root = try? Yams.load(yaml: yaml) as? [String: Any] else {
            throw fail("", "must be a mapping with a tokens list")
        }
        for key in root.keys where key != "tokens" { throw fail(key, "unknown key (known keys: tokens)") }
        guard let list = root["tokens"] as? [Any], !list.isEmpty else { throw fail("tokens", "must be a non-empty list") }
        var entries: [Entry] = []
        for (index, item) in list.enumerated() {
            let path = "tokens[\(index)]"
            guard let fields = item as? [String: Any] else { throw fail(path, "must be a mapping") }
            for key in fields.keys where !["name", "sha256", "env", "models", "admin"].contains(key) {
                throw fail("\(path).\(key)", "unknown key (known keys: name, sha256, env, models, admin)")
            }
            guard let name = fields["name"] as? String, !name.isEmpty else { throw fail("\(path).name", "is required") }
            let digest: [UInt8]
            switch (fields["sha256"], fields["env"]) {
            case (let hex as String, nil):
                guard let bytes = Self.bytes(fromHex: hex), bytes.count == 32 else {
                    throw fail("\(path).sha256", "must be 64 hexadecimal digits")
                }
                digest = bytes
            case (nil, let variable as String):
                guard let token = environment[variable], !token.isEmpty else {
                    throw fail("\(path).env", "environment variable \(variable) is not set")
                }
                digest = TokenDigest.of(token)
            default:
                throw fail(path, "needs exactly one of sha256 or env")
            }
            var models: Set<String>?
            if let value = fields["models"] {
                guard let list = value as? [String] else { throw fail("\(path).models", "must be a list of model names") }
                models = Set(list)
            }
            var admin = false
            if let value = fields["admin"] {
                guard let flag = value as? Bool else { throw fail("\(path).admin", "must be true or false") }
                admin = flag
            }
            entries.append(Entry(name: name, digest: digest, models: models, admin: admin))
        }
        self.entries = entries
    }

    public static func load(path: String) throws -> AccessTokens {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw GatewayConfigurationError(description: "cannot read auth tokens file \(path): \(error.localizedDescription)")
        }
        return try AccessTokens(yaml: text, file: path)
    }

    /// The entry of the caller's bearer token; UNAUTHENTICATED when missing or unknown.
    public func authenticate(_ metadata: Metadata) throws(RPCError) -> Entry {
        guard let header = metadata["authorization"], header.lowercased().hasPrefix("bearer ") else {
            throw RPCError(.unauthenticated, "a bearer token is required (authorization: Bearer TOKEN)")
        }
        let presented = TokenDigest.of(header.dropFirst("bearer ".count))
        // Every entry is compared, so the time taken does not depend on which one matched.
        var match: Entry?
        for entry in entries where TokenDigest.constantTimeEqual(entry.digest, presented) { match = entry }
        guard let match else { throw RPCError(.unauthenticated, "the bearer token is not valid") }
        return match
    }

    /// Checks that the caller may use `model`.
    public func authorize(_ metadata: Metadata, model: String) throws(RPCError) {
        let entry = try authenticate(metadata)
        if let models = entry.models, !models.contains(model) {
            throw RPCError(.permissionDenied, "this token may not call model \"\(model)\"")
        }
    }

    /// Checks that the caller may use the admin service.
    public func authorizeAdmin(_ metadata: Metadata, for what: String = "use the admin service") throws(RPCError) {
        guard try authenticate(metadata).admin else {
            throw RPCError(.permissionDenied, "this token may not \(what) (it needs admin: true)")
        }
    }

    private static func bytes(fromHex text: String) -> [UInt8]? {
        let digits = Array(text.lowercased().utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

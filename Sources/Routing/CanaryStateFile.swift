import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes every model's rollout state (`--canary-state FILE`, default
/// `canary-state.json`), so rollouts survive a gateway restart.
///
/// ```json
/// {
///   "version": 1,
///   "models": {
///     "iris": {
///       "stable": "1", "candidate": "2", "candidate_weight": 25, "step_index": 1,
///       "phase": {"name": "progressing"},            // or {"name": "rolled_back", "reason": "…"}
///       "step_started_at": "2025-05-01T12:00:30.000Z",
///       "stable_baseline": {"calls": 1900, "error_rate": 0.001, "p99_us": 850},   // optional
///       "history": [{"at": "2025-05-01T12:00:00.000Z", "phase": "progressing",
///                    "candidate_weight": 5, "reason": "started by an operator: 5% to 2"}]
///     }
///   }
/// }
/// ```
/// Times are UTC RFC 3339 with milliseconds. Writes are atomic: a temporary file in the same
/// directory is written, flushed to disk and renamed over the old one.
public enum CanaryStateFile {
    /// The `version` this code writes and reads.
    public static let formatVersion = 1

    private struct Document: Codable {
        var version: Int
        var models: [String: CanaryState]
    }

    /// The JSON text for `states`.
    public static func encode(_ states: [String: CanaryState]) -> Data {
        let encoder = makeEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain strings, numbers and dates cannot fail.
        return (try? encoder.encode(Document(version: formatVersion, models: states))) ?? Data()
    }

    /// Reads JSON text; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws(CanaryStateFileError) -> [String: CanaryState] {
        let decoder = makeDecoder()
        struct VersionOnly: Decodable { var version: Int }
        do {
            let version = try decoder.decode(VersionOnly.self, from: data).version
            guard version == formatVersion else {
                throw CanaryStateFileError(
                    file: file,
                    message: "has format version \(version); this gateway reads version \(formatVersion)")
            }
            return try decoder.decode(Document.self, from: data).models
        } catch let error as CanaryStateFileError {
            throw error
        } catch {
            throw CanaryStateFileError(file: file, message: "is not a valid canary state file: \(describe(error))")
        }
    }

    /// Every model's state; empty when the file does not exist yet.
    public static func read(path: String) throws(CanaryStateFileError) -> [String: CanaryState] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return [:]
        } catch {
            throw CanaryStateFileError(file: path, message: "cannot be read: \(error.localizedDescription)")
        }
        return try decode(data, file: path)
    }

    /// Replaces the file with `states`, atomically.
    public static func write(_ states: [String: CanaryState], path: String) throws(CanaryStateFileError) {
        let data = encode(states)
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CanaryStateFileError(file: path, message: systemMessage("cannot create \(temporary)")) }
        var failure: String?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = systemMessage("cannot write \(temporary)")
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = systemMessage("cannot flush \(temporary)") }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = systemMessage("cannot rename \(temporary)") }
        if let failure {
            unlink(temporary)
            throw CanaryStateFileError(file: path, message: failure)
        }
    }

    /// A JSON encoder that writes times as this file does (UTC RFC 3339 with milliseconds); the
    /// shared rollout state in etcd uses the same spelling.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(timeFormat))
        }
        return encoder
    }

    /// A JSON decoder that reads times as `makeEncoder` writes them.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = try? timeFormat.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "\"\(text)\" is not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }

    /// A decoding error in words, with the path of keys that led to it.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            return path(context) + context.debugDescription
        case .keyNotFound(let key, let context):
            return path(context) + "missing key \"\(key.stringValue)\""
        @unknown default:
            return "\(error)"
        }
    }

    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    private static func systemMessage(_ what: String) -> String {
        "\(what): \(String(cString: strerror(errno)))"
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map(\.stringValue)
        return keys.isEmpty ? "" : keys.joined(separator: ".") + ": "
    }
}

/// `write(2)`, named apart from the `write(_:path:)` above.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// The state file could not be read or written, or its content is not a state file.
public struct CanaryStateFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var message: String

    public var description: String { "\(file): \(message)" }
}

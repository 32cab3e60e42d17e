#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity of a spec file on disk: any change means the file changed.
public struct SpecFileStamp: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var modified: Int64
    /// The inode, so an atomic rename over the file counts as a change even within one tick.
    public var inode: UInt64

    public var description: String { path }
}

/// Lists `*.yaml` / `*.yml` files of a directory (hidden ones are skipped, so tools can stage
/// files there) and reads them.
struct SpecDirectory: Sendable {
    let root: String

    /// Spec files by pipeline name (the file name without extension); nil when the directory
    /// cannot be read. Two files with one name are reported in `conflicts`.
    func scan() -> (files: [String: SpecFileStamp], conflicts: [String: String])? {
        guard let directory = opendir(root) else { return nil }
        defer { closedir(directory) }
        var files: [String: SpecFileStamp] = [:]
        var conflicts: [String: String] = [:]
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard !name.hasPrefix("."), name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
            let path = root + "/" + name
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let stamp = SpecFileStamp(
                path: path, size: Int64(info.st_size),
                modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                inode: UInt64(info.st_ino))
            let pipeline = name.hasSuffix(".yaml") ? String(name.dropLast(5)) : String(name.dropLast(4))
            if let other = files[pipeline] {
                let pair = [other.path, path].sorted()
                conflicts[pipeline] = "both \(pair[0]) and \(pair[1]) define pipeline '\(pipeline)'; remove one"
            }
            files[pipeline] = stamp
        }
        for name in conflicts.keys { files[name] = nil }
        return (files, conflicts)
    }

    /// The file's text; nil with a reason when it cannot be read or is too large.
    static func read(_ stamp: SpecFileStamp, limit: Int) -> Result<String, SpecReadError> {
        guard stamp.size <= Int64(limit) else {
            return .failure(SpecReadError(message: "\(stamp.path): larger than \(limit) bytes"))
        }
        guard let file = fopen(stamp.path, "rb") else {
            return .failure(SpecReadError(message: "\(stamp.path): cannot be opened (errno \(errno))"))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes += chunk[0..<count] }
            if bytes.count > limit { return .failure(SpecReadError(message: "\(stamp.path): larger than \(limit) bytes")) }
            if count < chunk.count { break }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(SpecReadError(message: "\(stamp.path): not valid UTF-8"))
        }
        return .success(text)
    }
}

struct SpecReadError: Error {
    var message: String
}

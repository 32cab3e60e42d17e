#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity of a model file on disk: a change to any field means the file changed.
public struct FileStamp: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var modified: Int64
    /// The inode, so an atomic rename over the file counts as a change even within one tick.
    public var inode: UInt64

    public var description: String { "\(path) (\(size) bytes)" }
}

/// What one scan of the repository found for a model.
public struct ScannedModel: Sendable, Hashable {
    public var name: String
    /// The parsed config.yaml (defaults without one), or why it could not be used.
    public var config: Result<ModelConfig, RepositoryError>
    /// Every valid version directory holding a model.onnx.
    public var versionsOnDisk: [Int: FileStamp]

    /// The versions the policy serves, with their files; empty when the config is broken.
    public var desired: [Int: FileStamp] {
        guard case .success(let config) = config else { return [:] }
        let chosen = config.versionPolicy.select(from: versionsOnDisk.keys)
        return Dictionary(uniqueKeysWithValues: chosen.map { ($0, versionsOnDisk[$0]!) })
    }
}

/// The result of a scan: the models found, and warnings about entries that were ignored.
public struct RepositoryScan: Sendable, Hashable {
    public var models: [String: ScannedModel]
    public var warnings: [String]
}

/// Reads the layout `DIR/<model>/<version>/model.onnx` with an optional `DIR/<model>/config.yaml`.
///
/// Hidden entries (starting with ".") are skipped silently, so tools can stage files there;
/// versions must be positive integers written without leading zeros; anything else is ignored
/// with a warning.
public struct RepositoryScanner: Sendable {
    public let root: String
    /// The file name of a version's model.
    public static let modelFileName = "model.onnx"
    /// The file name of a model's configuration.
    public static let configFileName = "config.yaml"
    /// Config files larger than this are refused rather than read.
    public static let maxConfigBytes = 1 << 20

    public init(root: String) {
        self.root = root
    }

    /// Scans the repository; fails only when the root directory itself cannot be read.
    public func scan() throws(RepositoryError) -> RepositoryScan {
        guard let entries = FileSystem.directoryEntries(root) else {
            throw RepositoryError("model repository '\(root)' is not a readable directory")
        }
        var models: [String: ScannedModel] = [:]
        var warnings: [String] = []
        for name in entries.sorted() where !name.hasPrefix(".") {
            let modelPath = root + "/" + name
            guard FileSystem.isDirectory(modelPath) else {
                warnings.append("ignoring '\(modelPath)': not a model directory")
                continue
            }
            models[name] = scanModel(name: name, path: modelPath, warnings: &warnings)
        }
        return RepositoryScan(models: models, warnings: warnings)
    }

    private func scanModel(name: String, path: String, warnings: inout [String]) -> ScannedModel {
        let configPath = path + "/" + Self.configFileName
        let config: Result<ModelConfig, RepositoryError>
        if FileSystem.exists(configPath) {
            config = Result { () throws(RepositoryError) in
                let text = try FileSystem.readText(configPath, maxBytes: Self.maxConfigBytes)
                return try ModelConfig(yaml: text, file: configPath)
            }
        } else {
            config = .success(.defaults)
        }
        var versions: [Int: FileStamp] = [:]
        for entry in (FileSystem.directoryEntries(path) ?? []).sorted() where !entry.hasPrefix(".") {
            let entryPath = path + "/" + entry
            if entry == Self.configFileName { continue }
            guard FileSystem.isDirectory(entryPath) else {
                warnings.append("ignoring '\(entryPath)': not a version directory")
                continue
            }
            guard let version = Self.version(entry) else {
                warnings.append("ignoring '\(entryPath)': a version directory must be named by a positive integer")
                continue
            }
            let filePath = entryPath + "/" + Self.modelFileName
            guard let stamp = FileSystem.stamp(filePath) else {
                warnings.append("ignoring '\(entryPath)': no \(Self.modelFileName) in it")
                continue
            }
            versions[version] = stamp
        }
        return ScannedModel(name: name, config: config, versionsOnDisk: versions)
    }

    /// The version a directory name stands for: a positive integer without leading zeros.
    static func version(_ name: String) -> Int? {
        guard let first = name.utf8.first, first != UInt8(ascii: "0"),
            name.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let value = Int(name), value > 0
        else { return nil }
        return value
    }
}

/// The few POSIX file operations the scanner needs.
enum FileSystem {
    static func directoryEntries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    static func exists(_ path: String) -> Bool { status(path) != nil }

    static func isDirectory(_ path: String) -> Bool {
        guard let info = status(path) else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func stamp(_ path: String) -> FileStamp? {
        guard let info = status(path), (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Darwin)
        let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        return FileStamp(path: path, size: Int64(info.st_size), modified: modified, inode: UInt64(info.st_ino))
    }

    static func readText(_ path: String, maxBytes: Int) throws(RepositoryError) -> String {
        guard let file = fopen(path, "rb") else { throw RepositoryError("cannot open '\(path)'") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 14)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            bytes += chunk[0..<count]
            if bytes.count > maxBytes { throw RepositoryError("'\(path)' is larger than \(maxBytes) bytes") }
        }
        if ferror(file) != 0 { throw RepositoryError("cannot read '\(path)'") }
        return String(decoding: bytes, as: UTF8.self)
    }
}

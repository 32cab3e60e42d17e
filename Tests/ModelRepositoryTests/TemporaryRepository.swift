import Foundation
import ModelRepository

/// A model repository in a fresh temporary directory, removed when the value is dropped.
final class TemporaryRepository {
    let root: String

    init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("repo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        root = url.path
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `DIR/<model>/<version>/model.onnx` with `contents`, atomically (write then rename).
    func writeVersion(_ model: String, _ version: String, contents: String) throws {
        let directory = "\(root)/\(model)/\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try write(contents, to: "\(directory)/model.onnx")
    }

    func writeConfig(_ model: String, _ yaml: String) throws {
        try FileManager.default.createDirectory(atPath: "\(root)/\(model)", withIntermediateDirectories: true)
        try write(yaml, to: "\(root)/\(model)/config.yaml")
    }

    func remove(_ relativePath: String) throws {
        try FileManager.default.removeItem(atPath: "\(root)/\(relativePath)")
    }

    func makeDirectory(_ relativePath: String) throws {
        try FileManager.default.createDirectory(atPath: "\(root)/\(relativePath)", withIntermediateDirectories: true)
    }

    func write(_ contents: String, to path: String) throws {
        let staging = path + ".staging-\(UUID().uuidString)"
        try Data(contents.utf8).write(to: URL(fileURLWithPath: staging))
        guard rename(staging, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}

import ModelRepository
import Testing

@Suite("Repository layout scanning")
struct RepositoryScannerTests {
    @Test func findsModelsAndVersionsAndWarnsAboutTheRest() throws {
        let repository = try TemporaryRepository()
        try repository.writeVersion("iris", "1", contents: "one")
        try repository.writeVersion("iris", "2", contents: "two")
        try repository.writeVersion("iris", "010", contents: "leading zero")
        try repository.writeVersion("iris", "0", contents: "zero")
        try repository.writeVersion("iris", "latest", contents: "named")
        try repository.writeVersion("iris", ".staging", contents: "hidden")
        try repository.makeDirectory("iris/3")  // no model.onnx yet
        try repository.write("stray", to: "\(repository.root)/iris/README")
        try repository.write("stray", to: "\(repository.root)/notes.txt")
        try repository.writeVersion("wine", "7", contents: "seven")
        try repository.writeConfig("wine", "version_policy: {all: true}")
        try repository.makeDirectory(".trash/1")

        let scan = try RepositoryScanner(root: repository.root).scan()
        #expect(scan.models.keys.sorted() == ["iris", "wine"])
        let iris = try #require(scan.models["iris"])
        #expect(iris.versionsOnDisk.keys.sorted() == [1, 2])
        #expect(iris.versionsOnDisk[2]?.path == "\(repository.root)/iris/2/model.onnx")
        #expect(iris.versionsOnDisk[2]?.size == 3)
        #expect(iris.config == .success(.defaults))
        #expect(iris.desired.keys.sorted() == [2])
        #expect(try scan.models["wine"]?.config.get().versionPolicy == .all)

        let warnings = scan.warnings.joined(separator: "\n")
        for ignored in ["iris/010'", "iris/0'", "iris/latest'", "iris/3': no model.onnx", "iris/README'", "notes.txt'"] {
            #expect(warnings.contains(ignored), "no warning about \(ignored) in:\n\(warnings)")
        }
        #expect(!warnings.contains(".staging") && !warnings.contains(".trash"))
    }

    @Test func aReplacedFileHasANewStamp() throws {
        let repository = try TemporaryRepository()
        try repository.writeVersion("m", "1", contents: "abc")
        let scanner = RepositoryScanner(root: repository.root)
        let before = try #require(try scanner.scan().models["m"]?.versionsOnDisk[1])
        try repository.writeVersion("m", "1", contents: "xyz")  // same size, renamed over
        let after = try #require(try scanner.scan().models["m"]?.versionsOnDisk[1])
        #expect(before != after)
        #expect(try scanner.scan().models["m"]?.versionsOnDisk[1] == after)
    }

    @Test func aBrokenConfigIsReportedPerModel() throws {
        let repository = try TemporaryRepository()
        try repository.writeVersion("m", "1", contents: "abc")
        try repository.writeConfig("m", "max_batch_size: 4\nbatching: on")
        let scanned = try #require(try RepositoryScanner(root: repository.root).scan().models["m"])
        guard case .failure(let error) = scanned.config else {
            Issue.record("expected a config error")
            return
        }
        #expect(error.message.contains("\(repository.root)/m/config.yaml: unknown key 'batching'"))
        #expect(scanned.desired.isEmpty)
    }

    @Test func aMissingRootIsAnError() {
        #expect(throws: RepositoryError.self) { try RepositoryScanner(root: "/nonexistent/models").scan() }
    }
}

import Foundation
import Logging
import ModelRepository
import Synchronization
import TestSupport
import Testing

/// A stand-in for a loaded model: the file's contents.
final class FakeModel: Sendable {
    let contents: String
    let version: Int

    init(contents: String, version: Int) {
        self.contents = contents
        self.version = version
    }
}

/// Loads files as `FakeModel`s, failing for contents starting with "bad", and counts loads.
final class FakeLoader: Sendable {
    let loads = Atomic<Int>(0)

    func load(_ request: VersionLoadRequest) throws -> FakeModel {
        loads.add(1, ordering: .relaxed)
        let contents = try String(contentsOfFile: request.file.path, encoding: .utf8)
        if contents.hasPrefix("bad") { throw RepositoryError("\(request.file.path): cannot parse '\(contents)'") }
        return FakeModel(contents: contents, version: request.version)
    }

    var count: Int { loads.load(ordering: .relaxed) }
}

@Suite("Reconciling the served models with the repository")
struct ModelReconcilerTests {
    let repository: TemporaryRepository
    let loader = FakeLoader()
    let reconciler: ModelReconciler<FakeModel>

    init() throws {
        repository = try TemporaryRepository()
        let loader = self.loader
        var quiet = Logger(label: "test.repository")
        quiet.logLevel = .critical
        reconciler = ModelReconciler(scanner: RepositoryScanner(root: repository.root), logger: quiet) { try loader.load($0) }
    }

    var snapshot: RepositorySnapshot<FakeModel> { reconciler.store.snapshot }

    @Test func initialLoadMakesTheRepositoryReady() async throws {
        #expect(!snapshot.isReady)
        try repository.writeVersion("iris", "1", contents: "v1")
        try repository.writeVersion("wine", "3", contents: "w3")
        let report = try await reconciler.reconcile()
        #expect(report.loaded == [ModelVersionKey("iris", 1), ModelVersionKey("wine", 3)])
        #expect(snapshot.isReady)
        #expect(snapshot.generation == 1)
        #expect(snapshot.models["iris"]?.newestReady?.loaded.contents == "v1")
        // Nothing changed: nothing is loaded again.
        let again = try await reconciler.reconcile()
        #expect(!again.changedAnything)
        #expect(loader.count == 2)
    }

    @Test func anEmptyRepositoryIsReady() async throws {
        try await reconciler.reconcile()
        #expect(snapshot.isReady)
    }

    @Test func addReplaceAndRemoveVersions() async throws {
        try repository.writeVersion("m", "1", contents: "v1")
        try await reconciler.reconcile()
        let first = try #require(snapshot.models["m"]?.newestReady?.loaded)

        // A new version replaces the old one under the default policy (latest 1).
        try repository.writeVersion("m", "2", contents: "v2")
        var report = try await reconciler.reconcile()
        #expect(report.loaded == [ModelVersionKey("m", 2)])
        #expect(report.unloaded == [ModelVersionKey("m", 1)])
        #expect(snapshot.models["m"]?.readyVersions == [2])
        // New requests get a new instance loaded from version 2, not the one version 1 had.
        let second = try #require(snapshot.models["m"]?.newestReady?.loaded)
        #expect(second !== first)
        #expect(second.version == 2)
        #expect(second.contents == "v2")
        #expect(loader.count == 2)

        // A replaced file is loaded again, into a new instance.
        try repository.writeVersion("m", "2", contents: "v2 retrained")
        report = try await reconciler.reconcile()
        #expect(report.loaded == [ModelVersionKey("m", 2)])
        let retrained = try #require(snapshot.models["m"]?.newestReady?.loaded)
        #expect(retrained !== second)
        #expect(retrained.contents == "v2 retrained")
        #expect(loader.count == 3)

        // Removing the newest version brings the previous one back, loaded afresh.
        try repository.remove("m/2")
        report = try await reconciler.reconcile()
        #expect(report.loaded == [ModelVersionKey("m", 1)])
        #expect(report.unloaded == [ModelVersionKey("m", 2)])
        #expect(snapshot.models["m"]?.readyVersions == [1])
        let restored = try #require(snapshot.models["m"]?.newestReady?.loaded)
        #expect(restored !== first)
        #expect(restored.version == 1)
        #expect(restored.contents == "v1")
        #expect(loader.count == 4)

        // Removing the model drops it.
        try repository.remove("m")
        report = try await reconciler.reconcile()
        #expect(report.unloaded == [ModelVersionKey("m", 1)])
        #expect(snapshot.models["m"] == nil)
    }

    @Test func aSwappedOutVersionLivesUntilItsLastUserLetsGo() async throws {
        try repository.writeVersion("m", "1", contents: "v1")
        try await reconciler.reconcile()
        var inFlight: FakeModel? = snapshot.models["m"]?.newestReady?.loaded
        weak let watcher = inFlight
        try repository.writeVersion("m", "2", contents: "v2")
        try await reconciler.reconcile()
        #expect(watcher != nil)
        #expect(inFlight?.contents == "v1")
        inFlight = nil
        #expect(watcher == nil)
    }

    @Test func aFailedNewVersionLeavesThePreviousServing() async throws {
        try repository.writeVersion("m", "1", contents: "v1")
        try await reconciler.reconcile()
        try repository.writeVersion("m", "2", contents: "bad bytes")
        let report = try await reconciler.reconcile()
        #expect(report.failed[ModelVersionKey("m", 2)]?.contains("cannot parse 'bad bytes'") == true)
        #expect(report.unloaded.isEmpty)
        let model = try #require(snapshot.models["m"])
        #expect(model.readyVersions == [1])
        #expect(model.versions[1]?.isDesired == false)
        #expect(model.versions[2]?.isReady == false)
        #expect(model.versions[2]?.loadError?.contains("cannot parse") == true)
        #expect(model.newestReady?.loaded.contents == "v1")
        #expect(model.unavailableReason.contains("version 2 failed to load"))
        #expect(snapshot.isReady)

        // Not retried until the file changes.
        let loads = loader.count
        try await reconciler.reconcile()
        #expect(loader.count == loads)

        // Fixed: version 2 serves and version 1 goes.
        try repository.writeVersion("m", "2", contents: "v2")
        let fixed = try await reconciler.reconcile()
        #expect(fixed.loaded == [ModelVersionKey("m", 2)])
        #expect(fixed.unloaded == [ModelVersionKey("m", 1)])
        #expect(snapshot.models["m"]?.readyVersions == [2])
        #expect(snapshot.models["m"]?.versions[2]?.loadError == nil)
    }

    @Test func aFailedReplacementKeepsTheOldInstanceOfThatVersion() async throws {
        try repository.writeVersion("m", "1", contents: "v1")
        try await reconciler.reconcile()
        try repository.writeVersion("m", "1", contents: "bad replacement")
        let report = try await reconciler.reconcile()
        #expect(report.failed.keys.sorted() == [ModelVersionKey("m", 1)])
        let version = try #require(snapshot.models["m"]?.versions[1])
        #expect(version.isReady)
        #expect(version.loaded?.contents == "v1")
        #expect(version.loadError?.contains("bad replacement") == true)
    }

    @Test func aModelThatNeverLoadedIsNotReady() async throws {
        try repository.writeVersion("good", "1", contents: "ok")
        try repository.writeVersion("broken", "1", contents: "bad")
        try await reconciler.reconcile()
        #expect(!snapshot.isReady)
        #expect(snapshot.models["broken"]?.isReady == false)
        #expect(snapshot.models["broken"]?.unavailableReason.contains("version 1 failed to load") == true)
        #expect(snapshot.models["good"]?.isReady == true)
    }

    @Test func policiesChooseTheServedVersions() async throws {
        for version in 1...4 { try repository.writeVersion("m", String(version), contents: "v\(version)") }
        try repository.writeConfig("m", "version_policy: {latest: 2}")
        try await reconciler.reconcile()
        #expect(snapshot.models["m"]?.readyVersions == [3, 4])
        try repository.writeConfig("m", "version_policy: {specific: [1, 3, 9]}")
        try await reconciler.reconcile()
        #expect(snapshot.models["m"]?.readyVersions == [1, 3])
        try repository.writeConfig("m", "version_policy: {all: true}")
        try await reconciler.reconcile()
        #expect(snapshot.models["m"]?.readyVersions == [1, 2, 3, 4])
    }

    @Test func aBrokenConfigKeepsThePreviousStateAndIsReported() async throws {
        try repository.writeVersion("m", "1", contents: "v1")
        try repository.writeVersion("m", "2", contents: "v2")
        try await reconciler.reconcile()
        try repository.writeConfig("m", "version_policy: {everything: true}")
        let report = try await reconciler.reconcile()
        #expect(report.configErrors["m"]?.contains("unknown key 'everything'") == true)
        #expect(snapshot.models["m"]?.readyVersions == [2])
        #expect(snapshot.models["m"]?.configError?.contains("config.yaml") == true)

        // A new model with a broken config never loads.
        try repository.writeVersion("n", "1", contents: "n1")
        try repository.writeConfig("n", "max_batch_size: many")
        try await reconciler.reconcile()
        #expect(snapshot.models["n"]?.isReady == false)
        #expect(snapshot.models["n"]?.unavailableReason.contains("max_batch_size must be an integer") == true)
    }

    @Test func aConfigChangeReloadsTheVersions() async throws {
        try repository.writeVersion("m", "1", contents: "v1")
        try await reconciler.reconcile()
        try repository.writeConfig("m", "max_batch_size: 4")
        let report = try await reconciler.reconcile()
        #expect(report.loaded == [ModelVersionKey("m", 1)])
        #expect(snapshot.models["m"]?.config?.maxBatchSize == 4)
    }

    @Test func aMissingRootKeepsTheSnapshot() async throws {
        try repository.writeVersion("m", "1", contents: "v1")
        try await reconciler.reconcile()
        let gone = ModelReconciler<FakeModel>(
            scanner: RepositoryScanner(root: repository.root + "/missing"), store: reconciler.store
        ) { _ in FakeModel(contents: "", version: 0) }
        await #expect(throws: RepositoryError.self) { try await gone.reconcile() }
        #expect(snapshot.models["m"]?.isReady == true)
    }

    @Test func pollingPicksUpNewVersionsOnTheClock() async throws {
        try repository.writeVersion("m", "1", contents: "v1")
        try await reconciler.reconcile()
        let clock = ManualClock()
        let passes = Atomic<Int>(0)
        let polling = Task { [reconciler] in
            await reconciler.run(every: .seconds(1), clock: clock) { _ in passes.add(1, ordering: .relaxed) }
        }
        try repository.writeVersion("m", "2", contents: "v2")
        try await eventually { clock.sleeperCount == 1 }
        #expect(snapshot.models["m"]?.readyVersions == [1])
        clock.advance(by: .milliseconds(999))
        #expect(passes.load(ordering: .relaxed) == 0)
        clock.advance(by: .milliseconds(1))
        try await eventually { passes.load(ordering: .relaxed) == 1 }
        #expect(snapshot.models["m"]?.readyVersions == [2])
        polling.cancel()
        await polling.value
    }
}

import FeaturePipeline
import Logging

/// What one reload changed.
public struct ReloadReport: Sendable, Hashable {
    /// Pipelines (re)loaded from a new or changed file.
    public var loaded: [String] = []
    /// Pipelines whose file went away.
    public var removed: [String] = []
    /// Pipelines whose new file is invalid, with the reason; any previous version keeps serving.
    public var failed: [String: String] = [:]

    public init() {}
}

/// Keeps the catalog in line with the specs directory, off the request path: each pass stats
/// the files, loads what is new or changed, and publishes the result in one swap. An invalid
/// file never replaces a serving pipeline; its error is logged once per version of the file.
public actor PipelineReloader {
    public nonisolated let root: String
    public nonisolated let catalog: PipelineCatalog
    private let directory: SpecDirectory
    private let logger: Logger
    private var reportedScanError = false

    public init(root: String, catalog: PipelineCatalog = PipelineCatalog(), logger: Logger = Logger(label: "pipelines")) {
        self.root = root
        self.catalog = catalog
        self.directory = SpecDirectory(root: root)
        self.logger = logger
    }

    /// One pass. When the directory cannot be read, the current pipelines keep serving.
    @discardableResult
    public func reload() -> ReloadReport {
        var report = ReloadReport()
        guard let scan = directory.scan() else {
            if !reportedScanError {
                logger.error("cannot read the pipelines directory; serving what is loaded", metadata: ["directory": "\(root)"])
            }
            reportedScanError = true
            return report
        }
        reportedScanError = false
        let current = catalog.entries
        var next: [String: PipelineEntry] = [:]
        for (name, conflict) in scan.conflicts {
            var entry = current[name] ?? PipelineEntry(name: name)
            if entry.loadError != conflict {
                report.failed[name] = conflict
            }
            entry.loadError = conflict
            entry.attempted = nil
            next[name] = entry
        }
        for (name, stamp) in scan.files.sorted(by: { $0.key < $1.key }) {
            var entry = current[name] ?? PipelineEntry(name: name)
            if entry.attempted == stamp {
                next[name] = entry
                continue
            }
            entry.attempted = stamp
            switch Self.load(stamp) {
            case .success(let served):
                entry.served = served
                entry.loadError = nil
                report.loaded.append(name)
            case .failure(let error):
                entry.loadError = error.message
                report.failed[name] = error.message
            }
            next[name] = entry
        }
        report.removed = current.keys.filter { next[$0] == nil }.sorted()
        catalog.publish(next)
        log(report, entries: next)
        return report
    }

    static func load(_ stamp: SpecFileStamp) -> Result<ServedPipeline, SpecReadError> {
        switch SpecDirectory.read(stamp, limit: PipelineSpec.maxSpecBytes) {
        case .failure(let error):
            return .failure(error)
        case .success(let text):
            do {
                let plan = try FeaturePlan(yaml: text, file: stamp.path)
                return .success(ServedPipeline(plan: plan, file: stamp))
            } catch {
                return .failure(SpecReadError(message: error.message))
            }
        }
    }

    private func log(_ report: ReloadReport, entries: [String: PipelineEntry]) {
        for name in report.loaded {
            let served = entries[name]?.served
            logger.info(
                "loaded pipeline",
                metadata: [
                    "pipeline": "\(name)", "version": "\(served?.version ?? 0)", "features": "\(served?.plan.featureCount ?? 0)",
                ])
        }
        for name in report.removed { logger.info("removed pipeline", metadata: ["pipeline": "\(name)"]) }
        for (name, error) in report.failed.sorted(by: { $0.key < $1.key }) {
            let keeps = entries[name]?.served.map { "version \($0.version) keeps serving" } ?? "nothing serves under this name"
            logger.error("invalid pipeline spec; \(keeps)", metadata: ["pipeline": "\(name)", "error": "\(error)"])
        }
    }
}

import FeaturePipeline
import InferenceAPI
import Synchronization

/// A pipeline that loaded: its compiled plan and the metadata callers see.
public struct ServedPipeline: Sendable {
    public let plan: FeaturePlan
    public let file: SpecFileStamp
    public let metadata: ModelMetadataResponse
    /// What ModelStatistics reports for this pipeline version since it was loaded.
    public let statistics: VersionStatistics

    public init(plan: FeaturePlan, file: SpecFileStamp) {
        self.plan = plan
        self.file = file
        let spec = plan.spec
        statistics = VersionStatistics(name: spec.name, version: spec.version, batches: true)
        metadata = ModelMetadataResponse(
            name: spec.name, versions: [String(spec.version)], platform: "feature_pipeline",
            inputs: spec.inputs.map { TensorMetadata(name: $0.name, datatype: $0.type.wireType, shape: [-1]) },
            outputs: [
                TensorMetadata(
                    name: spec.output.name, datatype: spec.output.dtype == .fp32 ? .fp32 : .fp64,
                    shape: [-1, Int64(plan.featureCount)])
            ])
    }

    public var name: String { plan.spec.name }
    public var version: Int { plan.spec.version }
}

extension ColumnType {
    /// The datatype ModelMetadata advertises for a column (others are accepted too).
    public var wireType: TensorDataType {
        switch self {
        case .float: .fp64
        case .int: .int64
        case .bool: .bool
        case .string, .any: .bytes
        }
    }
}

/// One spec file of the directory: what serves under its name, and why the file on disk does
/// not, when it is invalid (the previous good version keeps serving).
public struct PipelineEntry: Sendable {
    public var name: String
    public var served: ServedPipeline?
    public var loadError: String?
    /// The file stamp last tried, so an unchanged bad file is not reloaded (nor logged) again.
    var attempted: SpecFileStamp?

    public var isReady: Bool { served != nil }
}

/// The pipelines in effect, swapped whole by the reloader; requests read one snapshot.
public final class PipelineCatalog: Sendable {
    private let current = Mutex<[String: PipelineEntry]>([:])

    public init() {}

    public var entries: [String: PipelineEntry] { current.withLock { $0 } }

    func publish(_ entries: [String: PipelineEntry]) {
        current.withLock { $0 = entries }
    }

    /// Whether every spec file in the directory has a pipeline serving.
    public var isReady: Bool { entries.values.allSatisfy(\.isReady) }
}

import ModelRepository
import ModelWorker
import ServiceKit

/// The worker is ready once the first scan is done and every model in the repository has a
/// loaded version; otherwise the reason names the first model that has none.
enum WorkerReadiness {
    static func state(of snapshot: RepositorySnapshot<ServedModel>) -> ReadinessState {
        guard snapshot.generation > 0 else { return .notReady("loading models") }
        if let model = snapshot.models.values.filter({ !$0.isReady }).min(by: { $0.name < $1.name }) {
            return .notReady("model '\(model.name)' is not available: \(model.unavailableReason)")
        }
        return .ready
    }
}

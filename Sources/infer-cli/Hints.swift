import AdminAPI
import ArgumentParser
import InferCLICore

/// `hints [MODEL]`.
struct Hints: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show autoscaling hints per model version.",
        discussion: """
            Concurrency observed over the stable (60 s) and panic (6 s) windows, the replicas wanted \
            and ready, whether panic mode is on, and the target concurrency per replica.
            """)

    @Argument(help: "A model; every model when omitted.")
    var model: String?

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await options.run { connection in
            let hints = try await connection.call(
                AdminMethods.autoscalingHints, ModelSelector(model: model ?? ""), as: AutoscalingHintList.self)
            Console.out(options.json ? hints.json.prettyText + "\n" : hints.table)
            return 0
        }
    }
}

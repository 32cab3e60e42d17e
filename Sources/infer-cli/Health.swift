import AdminAPI
import ArgumentParser
import InferCLICore

/// `health [MODEL]`.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every endpoint's state, outstanding calls and consecutive failures.",
        discussion:
            "States: ready, not_serving, connecting, unreachable, ejected. The version 'pipeline' is the route's preprocessor.")

    @Argument(help: "A model; every model when omitted.")
    var model: String?

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await options.run { connection in
            let list = try await connection.call(
                AdminMethods.endpointHealth, ModelSelector(model: model ?? ""), as: EndpointStatusList.self)
            Console.out(options.json ? list.json.prettyText + "\n" : list.table)
            return 0
        }
    }
}

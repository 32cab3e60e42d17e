import AdminAPI
import ArgumentParser
import InferCLICore

/// `routes`, `routes get`, `routes set`.
struct Routes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the gateway's routes, or get or set one model's route as YAML.",
        subcommands: [ListRoutes.self, GetRoute.self, SetRoute.self],
        defaultSubcommand: ListRoutes.self)
}

struct ListRoutes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every model with its versions, weights, endpoints, pipeline and canary phase (the default).")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await options.run { connection in
            let list = try await connection.call(AdminMethods.listRoutes, ListRoutesRequest(), as: RouteList.self)
            Console.out(options.json ? list.json.prettyText + "\n" : list.table)
            return 0
        }
    }
}

struct GetRoute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print one model's route as YAML (its entry under 'models:' in the routes file).")

    @Argument(help: "The routed model name.")
    var model: String

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await options.run { connection in
            let route = try await connection.call(AdminMethods.getRoute, ModelSelector(model: model), as: RouteDocument.self)
            Console.out(options.json ? route.json.prettyText + "\n" : route.text)
            return 0
        }
    }
}

struct SetRoute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Replace (or add) one model's route from a YAML file; prints the route the gateway now has.",
        discussion: "The file holds the model's entry, as 'routes get' prints it; the gateway validates it like the routes file.")

    @Argument(help: "The routed model name.")
    var model: String

    @Option(help: ArgumentHelp("The route as YAML; '-' reads standard input.", valueName: "file"))
    var file: String

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await options.run { connection in
            let yaml = String(decoding: try InputFile.read(file), as: UTF8.self)
            let route = try await connection.call(
                AdminMethods.setRoute, RouteDocument(model: model, yaml: yaml), as: RouteDocument.self)
            Console.out(options.json ? route.json.prettyText + "\n" : route.text)
            return 0
        }
    }
}

import AdminAPI
import ArgumentParser
import InferCLICore

/// `canary status|start|pause|resume|promote|abort|set-weight`.
struct Canary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or steer canary rollouts.",
        discussion: """
            A route's canary policy moves traffic from the stable version to the candidate in steps \
            while the candidate's errors and latency stay within bounds. Each action prints the \
            canary's status afterwards.
            """,
        subcommands: [
            CanaryStatusCommand.self, CanaryStart.self, CanaryPause.self, CanaryResume.self, CanaryPromote.self,
            CanaryAbort.self, CanarySetWeight.self,
        ],
        defaultSubcommand: CanaryStatusCommand.self)
}

struct CanaryStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show stable and candidate, phase, weight, step, the step's measurements, last decision and history.")

    @Argument(help: "A model; all canaries when omitted.")
    var model: String?

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await options.run { connection in
            let list = try await connection.call(
                AdminMethods.canaryStatus, ModelSelector(model: model ?? ""), as: CanaryStatusList.self)
            Console.out(options.json ? list.json.prettyText + "\n" : list.text)
            return 0
        }
    }
}

/// Sends one canary action and prints the status it leads to.
private func perform(_ action: CanaryActionRequest.Action, model: String, weight: Double = 0, options: GlobalOptions) async throws
{
    try await options.run { connection in
        let status = try await connection.call(
            AdminMethods.canaryAction, CanaryActionRequest(model: model, action: action, weight: weight), as: CanaryStatus.self)
        Console.out(options.json ? status.json.prettyText + "\n" : status.text)
        return 0
    }
}

struct CanaryStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start the route's canary policy from its first step.")

    @Argument(help: "The routed model name.") var model: String
    @OptionGroup var options: GlobalOptions

    func run() async throws { try await perform(.start, model: model, options: options) }
}

struct CanaryPause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Hold the canary at its current weight.")

    @Argument(help: "The routed model name.") var model: String
    @OptionGroup var options: GlobalOptions

    func run() async throws { try await perform(.pause, model: model, options: options) }
}

struct CanaryResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Let a paused canary progress again.")

    @Argument(help: "The routed model name.") var model: String
    @OptionGroup var options: GlobalOptions

    func run() async throws { try await perform(.resume, model: model, options: options) }
}

struct CanaryPromote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote", abstract: "Make the candidate the stable version at 100% now.")

    @Argument(help: "The routed model name.") var model: String
    @OptionGroup var options: GlobalOptions

    func run() async throws { try await perform(.promote, model: model, options: options) }
}

struct CanaryAbort: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort", abstract: "Send all traffic back to the stable version and stop the canary.")

    @Argument(help: "The routed model name.") var model: String
    @OptionGroup var options: GlobalOptions

    func run() async throws { try await perform(.abort, model: model, options: options) }
}

struct CanarySetWeight: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-weight", abstract: "Set the candidate's share by hand (pauses the automatic steps).")

    @Argument(help: "The routed model name.") var model: String
    @Argument(help: "The candidate's percent, 0 to 100.") var percent: Double
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard (0...100).contains(percent) else { throw ValidationError("the percent must be from 0 to 100") }
    }

    func run() async throws { try await perform(.setWeight, model: model, weight: percent, options: options) }
}

import ArgumentParser

/// `--config FILE` and `--print-config`: declared here so that `--help` lists them and the
/// parser accepts them; `ServiceCommand.main` does the layering they ask for.
public struct ConfigFileOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "YAML file of options: keys are long option names without the dashes; flags on the command line win.",
            valueName: "file"))
    public var config: String?

    @Flag(help: "Print the effective configuration (YAML, every option) and exit.")
    public var printConfig = false

    public init() {}

    /// The option names that belong to the mechanism itself and cannot appear in a config file.
    static let reservedNames: Set<String> = ["config", "print-config"]
}

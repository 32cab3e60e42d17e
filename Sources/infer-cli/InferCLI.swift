import ArgumentParser

/// The command line for a gateway: inference calls from CSV or JSON rows, and the admin service
/// (routes, canary rollouts, autoscaling hints, endpoint health).
@main
struct InferCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer-cli",
        abstract: "Send inference calls to an inference-mesh gateway and drive its routes and canary rollouts.",
        discussion: """
            Every subcommand takes --gateway HOST:PORT (default 127.0.0.1:8001), --timeout SECONDS, \
            --json for machine-readable output, --token TOKEN (or $INFER_CLI_TOKEN) for a gateway \
            that requires a bearer token, and the TLS options (--tls, --tls-ca, --tls-cert with --tls-key, \
            --tls-server-name), before or after the subcommand's name. Failures print 'error: STATUS: message' on standard error; \
            the exit status is 1 when a call failed (or the TLS handshake did) and 2 when the input or a TLS file could not be read.
            """,
        subcommands: [Infer.self, Routes.self, Canary.self, Hints.self, Health.self])

    // Declared here too so the options may come before the subcommand's name; the subcommand
    // reads the same values through its own group.
    @OptionGroup var options: GlobalOptions
}

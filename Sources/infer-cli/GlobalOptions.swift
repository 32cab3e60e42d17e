import ArgumentParser
import Foundation
import InferCLICore
import RPCCore

/// Options every subcommand takes: where the gateway is and how to talk to it.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The gateway's gRPC address.", valueName: "host:port"))
    var gateway = "127.0.0.1:8001"

    @Option(help: ArgumentHelp("Seconds each call may take before it fails with DEADLINE_EXCEEDED.", valueName: "seconds"))
    var timeout: Double = 10

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Bearer token for a gateway that requires one, sent as 'authorization: Bearer <token>' (default: $INFER_CLI_TOKEN).",
            valueName: "token"))
    var token: String?

    @OptionGroup(title: "TLS") var tls: TLSFlags

    func validate() throws {
        do {
            _ = try GatewayAddress(parsing: gateway)
        } catch {
            throw ValidationError(error.message)
        }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    /// The token from `--token`, else from the environment.
    var resolvedToken: String? {
        let value = token ?? ProcessInfo.processInfo.environment["INFER_CLI_TOKEN"]
        return value?.isEmpty == false ? value : nil
    }

    /// Connects, runs `body`, and turns any failure into a message on standard error and an exit
    /// status (`body` may return a failing status of its own).
    func run(_ body: (RPCGatewayConnection) async throws -> Int32) async throws {
        let connection: RPCGatewayConnection
        do {
            connection = RPCGatewayConnection(
                address: try GatewayAddress(parsing: gateway), tls: try tls.clientTLS(), clientCertificate: tls.tlsCert != nil,
                token: resolvedToken,
                timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
            Console.error(FailureReport.message(for: error))
            throw ExitCode(FailureReport.exitStatus(for: error))
        }
        let status: Int32
        do {
            status = try await body(connection)
        } catch {
            await connection.close()
            Console.error(FailureReport.message(for: error))
            throw ExitCode(FailureReport.exitStatus(for: error))
        }
        await connection.close()
        if status != 0 { throw ExitCode(status) }
    }
}

import AdminAPI
import Foundation
import InferCLICore
import InferenceAPI
import TestSupport
import Testing

/// The real `infer-cli` binary against an in-process server playing the gateway.
@Suite struct EndToEndTests {
    private static let rows = "sepal_length,species\n5.1,setosa\n,\"virginica, probably\"\n6.3,\n"

    /// Runs `body` with the fake gateway's port.
    private func withFakeGateway<T>(admin: FakeAdmin = FakeAdmin(), _ body: (Int) async throws -> T) async throws -> T {
        try await withServer(
            services: [InferenceService(handler: FakeInference()), GatewayAdminService(handler: admin)]
        ) { _, port in try await body(port) }
    }

    @Test func inferPrintsATablePerRowFromCSV() async throws {
        let files = try InputFiles()
        let path = try files.write("rows.csv", Self.rows)
        try await withFakeGateway { port in
            let result = try await CLIRunner.run([
                "infer", "iris", "--input", path, "--version", "7", "--gateway", "127.0.0.1:\(port)",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.isEmpty)
            #expect(
                result.stdout == """
                    ROW  VERSION  label  probability
                      1  7            0  [0.25, 0.75]
                      2  7            1  [0.25, 0.75]
                      3  7            2  [0.25, 0.75]

                    """)
        }
    }

    @Test func inferJSONShowsWhatTheGatewayReceived() async throws {
        let files = try InputFiles()
        let path = try files.write(
            "rows.json", #"[{"sepal_length": 5.1, "species": "setosa"}, {"sepal_length": null, "species": ""}]"#)
        try await withFakeGateway { port in
            let result = try await CLIRunner.run([
                "infer", "iris", "-i", path, "--json", "--id", "req-9", "--routing-key", "user-7", "--gateway",
                "127.0.0.1:\(port)",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(object["id"] as? String == "req-9")
            let parameters = try #require(object["parameters"] as? [String: Any])
            #expect(parameters["received"] as? String == "sepal_length:FP64[2] species:BYTES[2]")
            #expect(parameters["routing_key"] as? String == "user-7")
            let outputs = try #require(object["outputs"] as? [[String: Any]])
            #expect(outputs.map { $0["name"] as? String } == ["label", "probability"])
            #expect(outputs[1]["shape"] as? [Int] == [2, 2])
        }
    }

    @Test func inferRepeatFromStdinAsMatrixPrintsTheSplit() async throws {
        try await withFakeGateway { port in
            let result = try await CLIRunner.run(
                ["infer", "iris", "--as", "matrix", "--repeat", "4", "--gateway", "127.0.0.1:\(port)"],
                stdin: "a,b\n1,2\n3,4\n")
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 8)
            #expect(lines[0].hasPrefix("#1/4  version 1  ") && lines[0].hasSuffix("  label: 0 1"))
            #expect(lines[3].hasPrefix("#4/4  version 2  "))
            #expect(Array(lines[4...]) == ["4 calls", "VERSION  CALLS  SHARE", "1            2    50%", "2            2    50%"])
        }
    }

    @Test func adminCommandsPrintTables() async throws {
        let admin = FakeAdmin()
        let files = try InputFiles()
        let routePath = try files.write("route.yaml", "versions:\n  \"2\": {endpoints: [\"127.0.0.1:7003\"]}\n")
        try await withFakeGateway(admin: admin) { port in
            let gateway = ["--gateway", "127.0.0.1:\(port)"]

            let routes = try await CLIRunner.run(["routes"] + gateway)
            #expect(routes.status == 0, "\(routes.stderr)")
            #expect(routes.stdout == Fixtures.routes.table)
            #expect(routes.stdout.contains("iris   1           75%  127.0.0.1:7001, 127.0.0.1:7002  iris-features  progressing"))

            let get = try await CLIRunner.run(["routes", "get", "iris"] + gateway)
            #expect(get.stdout == "versions:\n  \"1\": {endpoints: [\"127.0.0.1:7001\"]}\n")

            let set = try await CLIRunner.run(["routes", "set", "iris", "--file", routePath] + gateway)
            #expect(set.status == 0, "\(set.stderr)")
            #expect(
                admin.receivedRoutes == [
                    RouteDocument(model: "iris", yaml: "versions:\n  \"2\": {endpoints: [\"127.0.0.1:7003\"]}\n")
                ])

            let status = try await CLIRunner.run(["canary", "status", "iris"] + gateway)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout == Fixtures.canary.text)
            #expect(status.stdout.contains("2        candidate    100       0     0.9   3.125"))

            let weight = try await CLIRunner.run(["canary", "set-weight", "iris", "40"] + gateway)
            #expect(weight.stdout.contains("phase          paused\nweight         40%\n"))

            // Global options may also come first, as scripts/demo writes them.
            let hints = try await CLIRunner.run(gateway + ["hints"])
            #expect(hints.stdout == Fixtures.hints.table)
            #expect(hints.stdout.contains("iris   2                      0.50              12.00        3      1  yes         4"))

            let health = try await CLIRunner.run(["health", "iris"] + gateway)
            #expect(health.stdout == Fixtures.health.table)
            #expect(health.stdout.contains("ejected until 2024-05-01 12:00:03Z"))
        }
    }

    @Test func adminJSONIsParseable() async throws {
        try await withFakeGateway { port in
            let result = try await CLIRunner.run(["canary", "--json", "--gateway", "127.0.0.1:\(port)"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let canaries = try #require(object["canaries"] as? [[String: Any]])
            #expect(canaries.first?["phase"] as? String == "progressing")
            #expect(canaries.first?["step_index"] as? Int == 1)
        }
    }

    @Test func gatewayErrorsPrintTheStatusAndExitNonZero() async throws {
        let files = try InputFiles()
        let path = try files.write("rows.csv", Self.rows)
        try await withFakeGateway { port in
            let gateway = ["--gateway", "127.0.0.1:\(port)"]
            let broken = try await CLIRunner.run(["infer", "broken", "--input", path, "--as", "columns"] + gateway)
            #expect(broken.status == 1)
            #expect(broken.stdout.isEmpty)
            #expect(broken.stderr == "error: INVALID_ARGUMENT: input \"X\" has shape [2, 3], but the model expects [-1, 4]\n")

            let noCanary = try await CLIRunner.run(["canary", "start", "wine"] + gateway)
            #expect(noCanary.status == 1)
            #expect(noCanary.stderr == "error: FAILED_PRECONDITION: model \"wine\" has no canary policy in its route\n")

            let unknown = try await CLIRunner.run(["routes", "get", "nope"] + gateway)
            #expect(unknown.stderr == "error: NOT_FOUND: no route for model \"nope\"\n")
        }
    }

    @Test func tokenComesFromFlagOrEnvironment() async throws {
        let files = try InputFiles()
        let path = try files.write("rows.csv", Self.rows)
        try await withFakeGateway { port in
            let arguments = ["infer", "secure", "--input", path, "--gateway", "127.0.0.1:\(port)"]
            let without = try await CLIRunner.run(arguments)
            #expect(without.status == 1)
            #expect(without.stderr == "error: UNAUTHENTICATED: a valid bearer token is required\n")

            let flag = try await CLIRunner.run(arguments + ["--token", FakeInference.token])
            #expect(flag.status == 0, "\(flag.stderr)")

            let environment = try await CLIRunner.run(arguments, environment: ["INFER_CLI_TOKEN": FakeInference.token])
            #expect(environment.status == 0, "\(environment.stderr)")
        }
    }

    @Test func badInputFailsBeforeAnyCall() async throws {
        let files = try InputFiles()
        let ragged = try files.write("ragged.csv", "a,b\n1,2\n3\n")
        let text = try files.write("rows.txt", "a\n1\n")
        // Nothing listens there: a call would fail with UNAVAILABLE, so these errors come first.
        let gateway = ["--gateway", "127.0.0.1:\(try ClosedPort.pick())"]

        let raggedResult = try await CLIRunner.run(["infer", "iris", "--input", ragged] + gateway)
        #expect(raggedResult.status == 2)
        #expect(raggedResult.stderr == "error: \(ragged): line 3 has 1 fields, but the header has 2\n")

        let unknownFormat = try await CLIRunner.run(["infer", "iris", "--input", text] + gateway)
        #expect(unknownFormat.status == 2)
        #expect(
            unknownFormat.stderr
                == "error: \(text): cannot tell the format from the file name: add --format csv or --format json\n")

        let missing = try await CLIRunner.run(["infer", "iris", "--input", files.root.path + "/absent.csv"] + gateway)
        #expect(missing.stderr == "error: cannot read \(files.root.path)/absent.csv: No such file or directory\n")
    }

    @Test func unreachableGatewayIsUnavailable() async throws {
        let port = try ClosedPort.pick()
        let result = try await CLIRunner.run(["hints", "--gateway", "127.0.0.1:\(port)"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: UNAVAILABLE: cannot connect to 127.0.0.1:\(port)"))
    }

    @Test func usageErrorsComeFromTheParser() async throws {
        let result = try await CLIRunner.run(["infer", "iris", "--as", "tensor"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--as must be columns or matrix, not \"tensor\""))
    }
}

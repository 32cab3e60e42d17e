import ArgumentParser
import Testing

@testable import ServiceKit

/// A command shaped like the service executables.
private struct SampleService: ServiceCommand {
    static let configuration = CommandConfiguration(commandName: "sample")

    @Option var listen = "0.0.0.0:8001"
    @Option var modelRepository: String
    @Option var pollIntervalMs = 1000
    @Option var inferenceThreads: Int?
    @Option var tag: [String] = []
    @Flag var verbose = false
    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        _ = try ListenAddress(parsing: listen)
        guard pollIntervalMs > 0 else { throw ValidationError("--poll-interval-ms must be positive") }
    }

    func run() async throws {}
}

@Suite("Config file layering")
struct ConfigLayeringTests {
    let layering = ConfigLayering(options: SampleService.optionDefinitions)

    private func resolve(_ commandLine: [String], yaml: String?) throws -> ConfigLayering.Resolution {
        let file = try yaml.map { text throws(ConfigFileError) in try ConfigFile(path: "/etc/sample.yaml", text: text) }
        return try layering.resolve(commandLine: commandLine, file: file)
    }

    @Test func optionsComeFromTheCommandsOwnDeclarations() {
        let names = layering.options.map(\.name)
        #expect(
            names == [
                "listen", "model-repository", "poll-interval-ms", "inference-threads", "tag", "verbose",
                "metrics-listen", "http-listen", "shutdown-grace", "log-level", "log-format", "access-log", "otlp-endpoint",
                "trace-sample-ratio", "tls-cert", "tls-key", "tls-client-ca",
            ])
        let byName = Dictionary(uniqueKeysWithValues: layering.options.map { ($0.name, $0) })
        #expect(byName["listen"]?.defaultValue == "0.0.0.0:8001")
        #expect(byName["inference-threads"]?.defaultValue == nil)
        #expect(byName["tag"]?.isRepeating == true)
        #expect(byName["verbose"]?.kind == .flag)
        #expect(byName["log-format"]?.defaultValue == "text")
    }

    @Test func fileValuesFillWhatTheCommandLineLeavesOut() throws {
        let resolution = try resolve(
            ["--listen", "127.0.0.1:9000"],
            yaml:
                "listen: 0.0.0.0:7000\nmodel-repository: /models\npoll-interval-ms: 250\nverbose: yes\ntag: [a, b]\nlog-level: debug\n"
        )
        let command = try SampleService.parse(resolution.arguments)
        #expect(command.listen == "127.0.0.1:9000")
        #expect(command.modelRepository == "/models")
        #expect(command.pollIntervalMs == 250)
        #expect(command.verbose)
        #expect(command.tag == ["a", "b"])
        #expect(command.operations.logging.logLevel == "debug")
        #expect(resolution.keysFromFile == ["model-repository", "poll-interval-ms", "verbose", "tag", "log-level"])
    }

    @Test func theCommandLineWinsInEverySpelling() throws {
        let yaml = "poll-interval-ms: 250\nmetrics-listen: 0.0.0.0:1\nverbose: false\n"
        let resolution = try resolve(
            ["--poll-interval-ms=5", "--metrics-listen", "127.0.0.1:0", "--verbose", "--model-repository", "/m"], yaml: yaml)
        let command = try SampleService.parse(resolution.arguments)
        #expect(command.pollIntervalMs == 5)
        #expect(command.operations.metricsListen == "127.0.0.1:0")
        #expect(command.verbose)
        #expect(resolution.keysFromFile.isEmpty)
    }

    @Test func nullMeansTheDefault() throws {
        let resolution = try resolve(["--model-repository", "/m"], yaml: "inference-threads: null\nlisten: ~\n")
        let command = try SampleService.parse(resolution.arguments)
        #expect(command.inferenceThreads == nil)
        #expect(command.listen == "0.0.0.0:8001")
    }

    @Test func deeplyNestedFilesAreRefusedBeforeParsing() {
        #expect(throws: ConfigFileError(file: "/etc/sample.yaml", reason: "nests deeper than 100 levels (line 1)")) {
            try resolve([], yaml: String(repeating: "[", count: 20_000))
        }
    }

    @Test func unknownKeysNameTheKeyAndTheFile() {
        #expect {
            try resolve([], yaml: "listen: 0.0.0.0:1\nlisten-port: 80\n")
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("config file '/etc/sample.yaml', key 'listen-port': is not an option (known keys: listen, ")
        }
        #expect {
            try resolve([], yaml: "model_repository: /m\n")
        } throws: { error in
            "\(error)"
                == "config file '/etc/sample.yaml', key 'model_repository': is not an option (did you mean 'model-repository'?)"
        }
        #expect(throws: ConfigFileError(file: "/etc/sample.yaml", key: "config", reason: "cannot be set inside a config file")) {
            try resolve([], yaml: "config: other.yaml\n")
        }
    }

    @Test func shapesThatCannotBeOptionsAreRefused() {
        let cases: [(String, String)] = [
            ("listen: [a, b]\n", "key 'listen': takes one value, not a list"),
            ("verbose: maybe\n", "key 'verbose': must be true or false, not 'maybe'"),
            ("listen: {host: a}\n", "key 'listen': must be a value or a list, not a mapping"),
            ("listen: a\nlisten: b\n", "key 'listen': appears twice"),
            ("- listen\n", "must be a mapping of option names to values"),
            ("listen: [\n", "is not valid YAML"),
        ]
        for (yaml, expected) in cases {
            do {
                _ = try resolve([], yaml: yaml)
                Issue.record("accepted \(yaml)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    @Test func badValuesFromTheFileNameTheKeyAndTheFile() throws {
        for (yaml, key) in [
            ("poll-interval-ms: soon\n", "poll-interval-ms"), ("poll-interval-ms: -3\n", "poll-interval-ms"),
            ("listen: localhost\n", "listen"), ("metrics-listen: nowhere\n", "metrics-listen"),
            ("log-format: xml\n", "log-format"),
        ] {
            let resolution = try resolve(["--model-repository", "/m"], yaml: yaml)
            do {
                _ = try SampleService.parse(resolution.arguments)
                Issue.record("parsed \(yaml)")
            } catch {
                let reworded = SampleService.namingFileKey(error, resolution: resolution)
                let message = SampleService.message(for: reworded)
                #expect(message.hasPrefix("config file '/etc/sample.yaml', key '\(key)': "), "\(message)")
            }
        }
        // A bad value typed on the command line is left as the parser said it.
        let resolution = try resolve(["--model-repository", "/m", "--poll-interval-ms", "soon"], yaml: "listen: 0.0.0.0:1\n")
        do {
            _ = try SampleService.parse(resolution.arguments)
            Issue.record("parsed a bad command line")
        } catch {
            #expect(
                !SampleService.message(for: SampleService.namingFileKey(error, resolution: resolution)).contains("config file"))
        }
    }

    @Test func scanFindsConfigPrintConfigHelpAndShortNames() {
        let scan = layering.scan(["--config", "a.yaml", "--print-config", "--config=b.yaml", "--", "--listen", "x"])
        #expect(scan.configPath == "b.yaml")
        #expect(scan.printConfig)
        #expect(scan.values.isEmpty, "arguments after -- are positional")
        #expect(layering.scan(["-h"]).wantsHelp)
        #expect(layering.scan(["--help"]).wantsHelp)
    }

    @Test func printedConfigListsEveryOptionAndReadsBack() throws {
        let resolution = try resolve(
            ["--listen", "127.0.0.1:1", "--tag", "x"], yaml: "model-repository: /models\nverbose: true\n")
        let yaml = resolution.yaml
        #expect(
            yaml == """
                listen: 127.0.0.1:1
                model-repository: /models
                poll-interval-ms: 1000
                inference-threads: null
                tag: [x]
                verbose: true
                metrics-listen: 0.0.0.0:9090
                http-listen: null
                shutdown-grace: 10
                log-level: info
                log-format: text
                access-log: errors
                otlp-endpoint: null
                trace-sample-ratio: 1.0
                tls-cert: null
                tls-key: null
                tls-client-ca: null

                """)
        let again = try layering.resolve(commandLine: [], file: ConfigFile(path: "printed.yaml", text: yaml))
        #expect(again.effective.map(\.values) == resolution.effective.map(\.values))
        let command = try SampleService.parse(again.arguments)
        #expect(command.listen == "127.0.0.1:1" && command.tag == ["x"] && command.verbose && command.inferenceThreads == nil)
    }

    @Test func anEmptyFileChangesNothing() throws {
        let resolution = try resolve(["--model-repository", "/m"], yaml: "")
        #expect(resolution.arguments == ["--model-repository", "/m"])
    }
}

import ArgumentParser
import Synchronization

/// A service executable whose options can also come from a YAML file: flags over `--config FILE`
/// over defaults, and `--print-config` to show the result.
///
/// Adopt it by conforming the `@main` command and declaring the two options (any group that
/// contains `ConfigFileOptions` will do, such as `OperationsOptions`):
///
/// ```swift
/// @main struct Worker: ServiceCommand {
///     @Option var listen = "0.0.0.0:8001"
///     @OptionGroup var operations: OperationsOptions
///     func run() async throws { ... }
/// }
/// ```
///
/// `main()` then reads `--config` from the raw arguments, merges the file under them with
/// `ConfigLayering`, parses, and either prints the effective configuration (`--print-config`,
/// exit 0) or runs the command. Errors caused by a file value name the file and the key.
public protocol ServiceCommand: AsyncParsableCommand {}

extension ServiceCommand {
    /// Layers, parses and runs with the process's arguments (the `@main` entry point).
    public static func main() async {
        await main(Array(CommandLine.arguments.dropFirst()))
    }

    /// Layers, parses and runs with `arguments` (without the program name).
    public static func main(_ arguments: [String]) async {
        let layering = ConfigLayering(options: optionDefinitions)
        let scan = layering.scan(arguments)
        precondition(
            optionDefinitionsIncludeConfig,
            "\(Self.self) must declare ConfigFileOptions (for example through OperationsOptions) to be a ServiceCommand")
        var resolution: ConfigLayering.Resolution
        do {
            var file: ConfigFile?
            if let path = scan.configPath, !scan.wantsHelp { file = try ConfigFile(contentsOf: path) }
            resolution = try layering.resolve(commandLine: arguments, file: file)
        } catch {
            exit(withError: ValidationError(error.description))
        }
        var command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot(resolution.arguments)
        } catch {
            exit(withError: Self.namingFileKey(error, resolution: resolution))
        }
        ExplicitOptions.record(resolution.explicitlySet)
        if scan.printConfig {
            writeToStandardOutput(resolution.yaml)
            exit(withError: nil)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    private static var optionDefinitionsIncludeConfig: Bool {
        // `ConfigLayering` drops the reserved names, so look at the raw definitions.
        let names = Set(optionDefinitions.map(\.name))
        return ConfigFileOptions.reservedNames.isSubset(of: names)
    }

    /// A parse or validation error about an option whose value came from the config file,
    /// reworded to name the file and the key; other errors (help requests included) unchanged.
    static func namingFileKey(_ error: any Error, resolution: ConfigLayering.Resolution) -> any Error {
        guard let path = resolution.filePath, !resolution.keysFromFile.isEmpty else { return error }
        let message = Self.message(for: error)
        guard !message.isEmpty,
            let key = resolution.keysFromFile.sorted().first(where: { message.mentionsOption($0) })
        else { return error }
        return ValidationError(ConfigFileError(file: path, key: key, reason: message).description)
    }
}

extension String {
    /// Whether `--name` appears as a whole option name (not as the prefix of a longer one).
    func mentionsOption(_ name: String) -> Bool {
        var search = startIndex..<endIndex
        while let range = self.range(of: "--\(name)", range: search) {
            guard range.upperBound < endIndex else { return true }
            let next = self[range.upperBound]
            if !(next.isLetter || next.isNumber || next == "-") { return true }
            search = range.upperBound..<endIndex
        }
        return false
    }
}

/// The options this process was given explicitly (command line or config file), for the few
/// decisions that depend on it, such as whether a taken default port is fatal.
enum ExplicitOptions {
    private static let names = Mutex<Set<String>>([])

    static func record(_ explicit: Set<String>) { names.withLock { $0 = explicit } }

    static func contains(_ name: String) -> Bool { names.withLock { $0.contains(name) } }
}

import ArgumentParser
import Foundation

/// One long-named option or flag of a command, as a config file can set it.
public struct OptionDefinition: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `--name VALUE`.
        case option
        /// `--name`, on or off.
        case flag
    }

    /// The long name without its dashes: also the config file's key.
    public var name: String
    /// Single-letter spellings (`-v`), so a short form on the command line also counts as given.
    public var shortNames: [String]
    public var kind: Kind
    /// Whether it may be given more than once (an array option); a YAML list then gives each value.
    public var isRepeating: Bool
    /// The default as `--help` shows it; nil when the option has none.
    public var defaultValue: String?

    public init(name: String, shortNames: [String] = [], kind: Kind, isRepeating: Bool = false, defaultValue: String? = nil) {
        self.name = name
        self.shortNames = shortNames
        self.kind = kind
        self.isRepeating = isRepeating
        self.defaultValue = defaultValue
    }
}

extension ParsableArguments {
    /// The long-named options and flags of this type and its option groups, in declaration
    /// order, read from swift-argument-parser's own description of the command (the JSON that
    /// `--experimental-dump-help` prints), so the list can never drift from the declarations.
    /// Positional arguments and the built-in `--help`/`--version` are left out.
    public static var optionDefinitions: [OptionDefinition] {
        guard let info = try? JSONDecoder().decode(DumpedTool.self, from: Data(dumpedHelp.utf8)) else {
            preconditionFailure("swift-argument-parser's description of \(Self.self) could not be read")
        }
        return (info.command.arguments ?? []).compactMap { argument in
            guard argument.kind == "option" || argument.kind == "flag",
                let long = argument.names?.first(where: { $0.kind == "long" })?.name,
                !OptionDefinition.builtInNames.contains(long)
            else { return nil }
            return OptionDefinition(
                name: long,
                shortNames: argument.names?.filter { $0.kind == "short" }.map(\.name) ?? [],
                kind: argument.kind == "flag" ? .flag : .option,
                isRepeating: argument.isRepeating ?? false,
                defaultValue: argument.defaultValue)
        }
    }
}

extension ParsableArguments {
    /// The JSON that `--experimental-dump-help` prints, asked of the parser through its public
    /// API: parsing that flag fails with the description as the error's message.
    static var dumpedHelp: String {
        do {
            _ = try parse(["--experimental-dump-help"])
            return ""
        } catch {
            return fullMessage(for: error)
        }
    }
}

extension OptionDefinition {
    /// Flags that swift-argument-parser adds by itself.
    static let builtInNames: Set<String> = ["help", "version", "experimental-dump-help", "generate-completion-script"]
}

/// The parts of swift-argument-parser's `ToolInfoV0` JSON that the config file needs.
private struct DumpedTool: Decodable {
    struct Command: Decodable {
        var arguments: [Argument]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }

        var kind: String
        var names: [Name]?
        var isRepeating: Bool?
        var defaultValue: String?
    }

    var command: Command
}

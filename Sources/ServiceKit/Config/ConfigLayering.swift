import Yams

/// Layers a command's configuration: the command line over a YAML config file over the
/// defaults declared with the options.
///
/// The mechanism is deliberately thin, so the parser stays the one judge of values:
/// 1. the command line is scanned (without parsing values) for the options it gives and for
///    `--config FILE`;
/// 2. every file entry whose key names an option *not* on the command line becomes an argument
///    (`--key=value`, one per list item for repeating options, `--key` for a true flag) placed
///    before the command-line arguments;
/// 3. swift-argument-parser parses the result as usual, so types, `validate()` and required
///    options behave exactly as if everything had been typed.
///
/// File keys are long option names without the dashes (`listen`, `model-repository`,
/// `log-level`). A key that names no option, `config` itself, a list for a single-valued
/// option or a non-boolean flag value is an error naming the key and the file; parse errors
/// about a value that came from the file are reworded to name them too (see `ServiceCommand`).
public struct ConfigLayering: Sendable {
    /// The options a file may set, in declaration order.
    public let options: [OptionDefinition]
    private let byName: [String: OptionDefinition]
    private let byShortName: [String: OptionDefinition]

    public init(options: [OptionDefinition]) {
        self.options = options.filter { !ConfigFileOptions.reservedNames.contains($0.name) }
        byName = Dictionary(self.options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var short: [String: OptionDefinition] = [:]
        for option in self.options {
            for name in option.shortNames { short[name] = option }
        }
        byShortName = short
    }

    /// What the command line gives, found without parsing values.
    public struct CommandLineScan: Sendable, Hashable {
        /// The values each option was given (`["true"]` for a flag), by long name.
        public var values: [String: [String]] = [:]
        /// The last `--config` value.
        public var configPath: String?
        public var printConfig = false
        /// `--help` or `-h` is present: the file is not read, so help always works.
        public var wantsHelp = false
    }

    /// Finds the options `arguments` gives; it stops at `--`, after which everything is positional.
    public func scan(_ arguments: [String]) -> CommandLineScan {
        var scan = CommandLineScan()
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let token = arguments[index]
            index += 1
            if token == "--" { break }
            let name: String
            var inlineValue: String?
            if token.hasPrefix("--") {
                let body = token.dropFirst(2)
                if let equals = body.firstIndex(of: "=") {
                    name = String(body[..<equals])
                    inlineValue = String(body[body.index(after: equals)...])
                } else {
                    name = String(body)
                }
            } else if token.hasPrefix("-"), token.count == 2 {
                let short = String(token.dropFirst())
                if short == "h" {
                    scan.wantsHelp = true
                    continue
                }
                guard let option = byShortName[short] else { continue }
                name = option.name
            } else {
                continue
            }
            // Takes the option's value: the inline one, else the next argument.
            func value() -> String? {
                if let inlineValue { return inlineValue }
                guard index < arguments.endIndex else { return nil }
                defer { index += 1 }
                return arguments[index]
            }
            switch name {
            case "help": scan.wantsHelp = true
            case "print-config": scan.printConfig = true
            case "config": scan.configPath = value() ?? scan.configPath
            default:
                guard let option = byName[name] else { continue }
                switch option.kind {
                case .flag: scan.values[name, default: []].append("true")
                case .option: if let value = value() { scan.values[name, default: []].append(value) }
                }
            }
        }
        return scan
    }

    /// The outcome of layering: what to parse, and where each option's value comes from.
    public struct Resolution: Sendable {
        /// The file's arguments followed by the command line's.
        public var arguments: [String]
        /// Options whose value came from the file.
        public var keysFromFile: Set<String>
        /// Options given on the command line or in the file (not left to their default).
        public var explicitlySet: Set<String>
        /// The file, when one was given.
        public var filePath: String?
        /// Every option with its effective value(s): command line, else file, else default
        /// (empty when the option has no default).
        public var effective: [(option: OptionDefinition, values: [String])]
    }

    /// Merges `file` under `commandLine`.
    public func resolve(commandLine: [String], file: ConfigFile?) throws(ConfigFileError) -> Resolution {
        let given = scan(commandLine)
        var fileArguments: [String] = []
        var fileValues: [String: [String]] = [:]
        for entry in file?.entries ?? [] {
            let path = file!.path
            if ConfigFileOptions.reservedNames.contains(entry.key) {
                throw ConfigFileError(file: path, key: entry.key, reason: "cannot be set inside a config file")
            }
            guard let option = byName[entry.key] else {
                throw ConfigFileError(file: path, key: entry.key, reason: unknownKeyReason(entry.key))
            }
            guard given.values[option.name] == nil else { continue }  // the command line wins
            let values: [String]
            switch (entry.value, option.kind) {
            case (.null, _):
                continue
            case (.scalar(let text), .flag):
                guard let on = Node(text).bool else {
                    throw ConfigFileError(file: path, key: entry.key, reason: "must be true or false, not '\(text)'")
                }
                if on { fileArguments.append("--\(option.name)") }
                values = [on ? "true" : "false"]
            case (.scalar(let text), .option):
                values = [text]
                fileArguments.append("--\(option.name)=\(text)")
            case (.list(let items), .option) where option.isRepeating:
                values = items
                fileArguments += items.map { "--\(option.name)=\($0)" }
            case (.list, _):
                throw ConfigFileError(file: path, key: entry.key, reason: "takes one value, not a list")
            }
            fileValues[option.name] = values
        }
        let effective = options.map { option -> (option: OptionDefinition, values: [String]) in
            if let values = given.values[option.name] { return (option, values) }
            if let values = fileValues[option.name] { return (option, values) }
            if let value = option.defaultValue { return (option, [value]) }
            return (option, option.kind == .flag ? ["false"] : [])
        }
        return Resolution(
            arguments: fileArguments + commandLine, keysFromFile: Set(fileValues.keys),
            explicitlySet: Set(fileValues.keys).union(given.values.keys), filePath: file?.path,
            effective: effective)
    }

    private func unknownKeyReason(_ key: String) -> String {
        let dashed = key.replacingOccurrences(of: "_", with: "-").lowercased()
        if dashed != key, byName[dashed] != nil {
            return "is not an option (did you mean '\(dashed)'?)"
        }
        let known = options.map(\.name).joined(separator: ", ")
        return "is not an option (known keys: \(known))"
    }
}

extension ConfigLayering.Resolution {
    /// The effective configuration as YAML, one key per option in declaration order; it can be
    /// saved and given back with `--config`.
    public var yaml: String {
        let pairs = effective.map { entry -> (Node, Node) in
            let key = Node(entry.option.name)
            switch (entry.option.kind, entry.option.isRepeating, entry.values) {
            case (.flag, _, let values):
                return (key, Node(values.last == "true" ? "true" : "false"))
            case (.option, true, let values):
                return (key, .sequence(Node.Sequence(values.map { Node($0, .implicit, .plain) }, .implicit, .flow)))
            case (.option, false, let values):
                guard let value = values.last else { return (key, Node("null")) }
                return (key, Node(value, .implicit, Self.style(for: value)))
            }
        }
        return (try? Yams.serialize(node: Node(pairs))) ?? ""
    }

    /// Plain unless the text would read back as something else (a number stays plain: files
    /// give every value as text anyway).
    private static func style(for value: String) -> Node.Scalar.Style {
        if value.isEmpty || Node(value).null != nil || Node(value).bool != nil { return .singleQuoted }
        return .any
    }
}

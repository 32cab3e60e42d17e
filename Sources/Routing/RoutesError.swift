/// A problem in a routes file or route value: names the file (when known), the key path and why.
///
/// Its description reads `routes.yaml: models.iris.traffic: version "3" is not in versions`.
public struct RoutesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file the routes came from; nil for routes built in code or sent through the admin service.
    public var file: String?
    /// The dotted key path at fault, e.g. `models.iris.canary.steps`; empty for the whole document.
    public var path: String
    /// What is wrong, in a sentence fragment.
    public var message: String
    /// The 1-based line in the file, when the problem is tied to one node.
    public var line: Int?

    public init(file: String? = nil, path: String, message: String, line: Int? = nil) {
        self.file = file
        self.path = path
        self.message = message
        self.line = line
    }

    public var description: String {
        var text = ""
        if let file { text += "\(file): " }
        if !path.isEmpty { text += "\(path): " }
        text += message
        if let line { text += " (line \(line))" }
        return text
    }

    /// The same error attributed to `file`, unless it already names one.
    func inFile(_ file: String) -> RoutesError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }
}

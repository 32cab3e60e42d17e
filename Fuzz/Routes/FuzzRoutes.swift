import FuzzSupport
import Routing

/// Fuzzes the gateway's routes file parser and validation. Any text must parse or throw a
/// RoutesError; what parses must write back (`yaml()`) to text that reads as the same routes.
@main
enum FuzzRoutes {
    static func main() {
        FuzzDriver.run { input in
            let text = String(decoding: input, as: UTF8.self)
            guard let routes = try? RoutesConfig(yaml: text, file: "fuzz.yaml") else { return false }
            let written = routes.yaml()
            do {
                let reread = try RoutesConfig(yaml: written, file: "written.yaml")
                precondition(reread == routes, "routes change when written and read back:\n\(written)")
            } catch {
                preconditionFailure("routes written by yaml() do not read back: \(error)\n\(written)")
            }
            return true
        }
    }
}

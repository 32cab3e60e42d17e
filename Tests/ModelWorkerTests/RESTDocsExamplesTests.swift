import Foundation
import TestSupport
import Testing

/// The curl examples of docs/rest.md, run as written against a real worker serving the example
/// models (only the port is replaced), so the documentation cannot drift from the server.
@Suite("docs/rest.md curl examples")
struct RESTDocsExamplesTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func curlExamplesAnswerAsDocumented() async throws {
        let root = PythonPeer.repositoryRoot
        let text = try String(contentsOf: root.appendingPathComponent("docs/rest.md"), encoding: .utf8)
        let commands = text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("curl ") }
        #expect(commands.count >= 6, "docs/rest.md lost its curl examples")
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
                "--model-repository", root.appendingPathComponent("examples/models").path, "--model-control-mode",
                "explicit", "--log-level", "warning",
            ],
            readingHTTPPort: true)
        let port = try #require(worker.httpPort)
        for command in commands {
            let line = command.replacingOccurrences(of: "localhost:8000", with: "127.0.0.1:\(port)")
            let run = try await ExecutableRun.shell(line)
            let output = run.stdout
            #expect(run.status == 0, "\(command) exited \(run.status): \(output) \(run.stderr)")
            let json = try? JSONSerialization.jsonObject(with: Data(output.utf8))
            #expect(json is [String: Any] || json is [Any], "\(command) printed no JSON: \(output)")
            let object = json as? [String: Any]
            if command.contains("-sf") {
                #expect(object?["error"] == nil, "\(command): \(output)")
            } else {
                #expect((object?["error"] as? String)?.contains("has 2 elements in data") == true, "\(command): \(output)")
            }
        }
        #expect(await worker.terminate() == 0)
    }
}

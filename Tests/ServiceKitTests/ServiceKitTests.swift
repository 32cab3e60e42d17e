import ArgumentParser
import Logging
import ServiceKit
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("ServiceKit")
struct ServiceKitTests {
    @Test func parsesListenAddresses() throws {
        #expect(try ListenAddress(parsing: "127.0.0.1:8001") == ListenAddress(host: "127.0.0.1", port: 8001))
        #expect(try ListenAddress(parsing: "0.0.0.0:0") == ListenAddress(host: "0.0.0.0", port: 0))
        #expect(try ListenAddress(parsing: "[::1]:9000") == ListenAddress(host: "::1", port: 9000))
        #expect(try ListenAddress(parsing: "::1:9000") == ListenAddress(host: "::1", port: 9000))
    }

    @Test(arguments: ["localhost", ":8001", "host:", "host:http", "host:70000", "host:-1"])
    func refusesBadAddressesNamingTheFlag(text: String) {
        do {
            _ = try ListenAddress(parsing: text, flag: "--metrics-listen")
            Issue.record("'\(text)' parsed")
        } catch {
            #expect(error.message.hasPrefix("--metrics-listen '\(text)'"), "\(error.message)")
        }
    }

    @Test func loggingOptionsParse() throws {
        let options = try LoggingOptions.parse(["--log-level", "warning", "--log-format", "json"])
        #expect(try options.level() == .warning)
        #expect(options.logFormat == .json)
        let bad = try LoggingOptions.parse(["--log-level", "loud"])
        #expect(throws: ValidationError.self) { try bad.level() }
        #expect(throws: (any Error).self) { try LoggingOptions.parse(["--log-format", "xml"]) }
    }

    @Test func jsonLinesCarryTimeLevelServiceLoggerMessageAndMetadataFields() throws {
        let lines = Mutex<[String]>([])
        var handler = JSONLogHandler(
            label: "model-worker", service: "worker-1", sink: { line in lines.withLock { $0.append(line) } },
            now: { timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789) })
        handler.metadata["model"] = "iris"
        handler.logLevel = .info
        var logger = Logger(label: "model-worker") { _ in handler }
        logger.logLevel = .info
        logger.info("loaded \"v2\"\n", metadata: ["version": "2", "sizes": ["1", "2"], "nested": ["a": "b"], "level": "high"])
        logger.debug("hidden")
        let output = lines.withLock { $0 }
        #expect(output.count == 1)
        #expect(
            output.first
                == #"{"time":"2023-11-14T22:13:20.123Z","level":"info","service":"worker-1","logger":"model-worker","message":"loaded \"v2\"\n","metadata.level":"high","model":"iris","nested":{"a":"b"},"sizes":["1","2"],"version":"2"}"#
                + "\n")
    }
}

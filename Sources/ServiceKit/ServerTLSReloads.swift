import Logging
import RPCTransport
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gRPC server TLS settings this process made from its `--tls-*` flags, which SIGHUP
/// reloads: `TLSOptions.serverTLS()` registers each, `ServiceRuntime.run` calls `reloadAll`.
///
/// A process-wide list because the executables get their `ServerTLS` from the options, not from
/// the runtime that handles the signal; it holds a handful of small values for the process's life.
enum ServerTLSReloads {
    private static let registered = Mutex<[ServerTLS]>([])

    /// Reloads `tls` on every SIGHUP from now on.
    static func register(_ tls: ServerTLS) {
        guard tls.files != nil else { return }
        registered.withLock { $0.append(tls) }
    }

    /// Reads every registered setting's files again. New connections get the new certificate;
    /// open connections keep theirs. A failure logs an error naming the flag and the file, and
    /// the certificate served so far stays.
    static func reloadAll(logger: Logger) {
        for tls in registered.withLock({ $0 }) {
            reload(tls, logger: logger)
        }
    }

    static func reload(_ tls: ServerTLS, logger: Logger) {
        guard let files = tls.files else { return }
        do {
            let leaf = try tls.reload()
            logger.info(
                "TLS certificate reloaded; new connections get it",
                metadata: [
                    "tls-cert": "\(files.certificateChain)", "serial": "\(hex(leaf.serialNumber))",
                    "not-after": "\(JSONLogHandler.format(timespec(tv_sec: leaf.notValidAfter, tv_nsec: 0)))",
                ])
        } catch {
            logger.error(
                "TLS reload failed; still serving the previous certificate",
                metadata: ["error": "\(TLSOptions.message(for: error))"])
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xf)]] })
    }
}

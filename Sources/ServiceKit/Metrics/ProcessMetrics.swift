import Prometheus
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard Prometheus process metrics, sampled at each scrape: resident memory, open and
/// maximum file descriptors, CPU time. Read from /proc on Linux; elsewhere only CPU time.
enum ProcessMetrics {
    /// Registers the collector on `metrics`.
    static func register(on metrics: ServiceMetrics) {
        let resident = metrics.gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.")
        let openFDs = metrics.gauge("process_open_fds", help: "Open file descriptors.")
        let maxFDs = metrics.gauge("process_max_fds", help: "The limit on open file descriptors.")
        let cpu = metrics.registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "process_cpu_seconds_total", unitName: "", helpText: "User and system CPU time spent, in seconds."))
        let reportedCPU = Mutex<Double>(0)
        metrics.addCollector {
            if let bytes = residentBytes() { resident.set(bytes) }
            if let count = openDescriptorCount() { openFDs.set(count) }
            var limit = rlimit()
            if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs.set(Int(clamping: limit.rlim_cur)) }
            let seconds = cpuSeconds()
            // A Prometheus counter only goes up: add what was spent since the last scrape.
            let delta = reportedCPU.withLock { reported -> Double in
                defer { reported = max(reported, seconds) }
                return max(0, seconds - reported)
            }
            if delta > 0 { cpu.increment(by: delta) }
        }
    }

    /// Resident pages × page size, from the second field of /proc/self/statm.
    static func residentBytes() -> Int? {
        #if os(Linux)
        guard let text = readSmallFile("/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }

    /// Entries of /proc/self/fd, less the descriptor used to list them.
    static func openDescriptorCount() -> Int? {
        #if os(Linux)
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return max(0, count - 1)
        #else
        return nil
        #endif
    }

    #if os(Linux)
    private static let usageOfSelf = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    private static let usageOfSelf = RUSAGE_SELF
    #endif

    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(usageOfSelf, &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}

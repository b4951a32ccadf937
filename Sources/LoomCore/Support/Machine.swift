import CLoomSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `ProcessInfo` would say about this machine, without `ProcessInfo`. Its first use builds
/// the shared instance, and `activeProcessorCount` then reads the cgroup files through Foundation's
/// URL and `Data` code, whose first use instantiates generic metadata by name and scans the
/// binary's 9,700 protocol conformances: together 0.28 ms of every `loom run`, a tenth of a no-op
/// (perf, bench/README.md "2026-12-05, morning").
public enum Machine {
    /// The processors this process may use: the CPUs of its affinity mask (which a cpuset
    /// narrows), lowered to a cgroup's CPU quota rounded up, and at least 1. The same number as
    /// `ProcessInfo.activeProcessorCount` on Linux (a test compares them).
    public static func processors() -> Int {
        let cpus = affinityCount() ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let quota = cgroupQuota(v2: contents("/sys/fs/cgroup/cpu.max"),
                                v1Quota: contents("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
                                v1Period: contents("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))
        return max(1, min(cpus, quota ?? Int.max))
    }

    /// The CPUs a cgroup's quota amounts to, rounded up; nil without a quota. Version 2 writes
    /// `cpu.max` as "QUOTA PERIOD" or "max PERIOD"; version 1 has the two numbers in two files,
    /// -1 for none. A file that does not parse counts as no quota.
    static func cgroupQuota(v2: String?, v1Quota: String?, v1Period: String?) -> Int? {
        func cpus(_ quota: Substring, _ period: Substring) -> Int? {
            guard let q = Int(quota), let p = Int(period), q > 0, p > 0 else { return nil }
            return q / p + (q % p == 0 ? 0 : 1)   // not (q + p - 1) / p: q may be Int.max
        }
        func fields(_ s: String) -> [Substring] { s.split(whereSeparator: { $0 == " " || $0 == "\n" }) }
        if let v2 {
            let f = fields(v2)
            return f.count == 2 ? cpus(f[0], f[1]) : nil
        }
        guard let q = v1Quota.map(fields), let p = v1Period.map(fields), q.count == 1, p.count == 1 else { return nil }
        return cpus(q[0], p[0])
    }

    /// This machine's name, as `gethostname` gives it ("" if it cannot).
    public static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "" }
        return String(cString: name)
    }

    private static func affinityCount() -> Int? {
        let n = loom_affinity_cpus()
        return n > 0 ? Int(n) : nil
    }

    private static func contents(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }
}

import Foundation
import Synchronization

/// `LOOM_STATS=1`: where a command's time went, one line on stderr at exit (as `ninja -d stats`):
/// the time from the process's start to `main`, then each phase's wall time in the order marked.
/// For finding what a no-op run spends; the numbers are not part of any output or record.
public enum Stats {
    public static let enabled = getenv("LOOM_STATS") != nil
    private static let marks = Mutex<[(String, UInt64)]>([])

    /// Ends the phase `name` now (it began at the previous mark).
    public static func mark(_ name: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        marks.withLock { $0.append((name, now)) }
    }

    /// The line to print, or nil when disabled: phases in milliseconds.
    public static func report() -> String? {
        guard enabled else { return nil }
        let m = marks.withLock { $0 }
        guard let first = m.first else { return nil }
        var parts = ["\(first.0) \(format(Double(first.1) / 1e6 - processStartMs()))"]
        for (a, b) in zip(m, m.dropFirst()) { parts.append("\(b.0) \(format(Double(b.1 - a.1) / 1e6))") }
        parts.append("total \(format(Double(m.last!.1) / 1e6 - processStartMs()))")
        return "loom stats (ms): " + parts.joined(separator: ", ")
    }

    private static func format(_ ms: Double) -> String { String(format: "%.2f", ms) }

    /// When the kernel started this process, on the monotonic clock `DispatchTime` reads (field 22
    /// of /proc/self/stat, in clock ticks since boot).
    private static func processStartMs() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return 0 }
        return ticks * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

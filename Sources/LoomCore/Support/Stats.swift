import Foundation
import Synchronization

/// `LOOM_STATS=1`: where a command's time went, one line on stderr at exit (as `ninja -d stats`):
/// each phase's wall time in the order marked, from `main` on (the time before `main`, the
/// process's start-up, is not known to it precisely enough: /proc gives it in 10 ms ticks).
/// For finding what a no-op run spends; the numbers are not part of any output or record.
public enum Stats {
    public static let enabled = getenv("LOOM_STATS") != nil
    private static let marks = Mutex<[(String, UInt64)]>([])

    /// Ends the phase `name` now (it began at the previous mark; the first mark starts the clock).
    public static func mark(_ name: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        marks.withLock { $0.append((name, now)) }
    }

    /// The line to print, or nil when disabled: phases in milliseconds.
    public static func report() -> String? {
        guard enabled else { return nil }
        let m = marks.withLock { $0 }
        guard let first = m.first, let last = m.last, m.count > 1 else { return nil }
        var parts: [String] = []
        for (a, b) in zip(m, m.dropFirst()) { parts.append("\(b.0) \(format(Double(b.1 - a.1) / 1e6))") }
        parts.append("total \(format(Double(last.1 - first.1) / 1e6))")
        return "loom stats (ms): " + parts.joined(separator: ", ")
    }

    private static func format(_ ms: Double) -> String { String(format: "%.2f", ms) }
}

import Foundation
import LoomCore

/// With `LOOM_STATS=1` in the environment: a built-in task's time per stage, written to its log as one
/// line at the end (`stages (s): read 0.412, fit 1.030, predict 0.021, write 0.083`), for finding where
/// a task's time goes (`bench/run-train.sh` prints them). Without it, nothing is measured or written;
/// the times are never part of an artifact.
struct StageClock {
    private var last = DispatchTime.now().uptimeNanoseconds
    private var parts: [String] = []

    /// Ends the stage `name` now (it began at the previous mark, or when the clock was made).
    mutating func mark(_ name: String) {
        guard Stats.enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        parts.append("\(name) \(String(format: "%.3f", Double(now - last) / 1e9))")
        last = now
    }

    /// Writes the stages to the task's log (with `LOOM_STATS=1` only).
    func log(_ context: TaskContext) {
        guard Stats.enabled, !parts.isEmpty else { return }
        context.log("stages (s): " + parts.joined(separator: ", "))
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `loom run` at a time per project: an exclusive `flock` on `artifacts/lock`. The kernel
/// drops the lock when its holder dies, however it dies, so a lock can never be left stale; the
/// file's text (pid, start time, command) names the holder for the "busy" message and tells the
/// next holder that the previous one did not exit cleanly.
///
/// File format, version 1: `pid=<pid>`, `started=<ISO 8601 UTC>`, `command=<argv>` lines while
/// held; empty after a clean release.
public final class ProjectLock {
    public struct Busy: Error, CustomStringConvertible, Sendable {
        public var holder: String
        public var description: String {
            "another loom run holds the project lock (\(holder)); wait for it, or use --wait"
        }
    }

    public let path: String
    private var fd: Int32 = -1
    /// Set when the previous holder died without releasing (its record was still in the file).
    public private(set) var previousHolder: String?

    public init(path: String) { self.path = path }

    /// Takes the lock; with `wait`, retries until `timeout` (nil: forever) passes.
    public func acquire(wait: Bool, timeout: Double? = nil, command: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.fail("cannot open lock file", path) }
        let start = Date()
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = describeHolder()
            if !wait || (timeout.map { Date().timeIntervalSince(start) >= $0 } ?? false) {
                close(fd)
                fd = -1
                throw Busy(holder: holder)
            }
            usleep(100_000)
        }
        // A clean release empties the file: anything left names a holder that did not exit cleanly.
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 {
            let old = (try? FileSystem.readText(path))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if !old.isEmpty { previousHolder = old.replacingOccurrences(of: "\n", with: ", ") }
        }
        let iso = UTCTime(Date()).iso
        let text = "pid=\(getpid())\nstarted=\(iso)\ncommand=\(command)\n"
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Clears the holder record and drops the lock.
    public func release() {
        guard fd >= 0 else { return }
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    private func describeHolder() -> String {
        let text = (try? FileSystem.readText(path)) ?? ""
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        guard let pid = fields["pid"] else { return "holder unknown" }
        return "pid \(pid), started \(fields["started"] ?? "?")"
    }
}

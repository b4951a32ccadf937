import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `loom run` at a time per project: an exclusive `flock` on `artifacts/lock`. The kernel
/// drops the lock when its holder dies, however it dies, so a lock can never be left stale; the
/// file's text (pid, start time, command) names the holder for the "busy" message and tells the
/// next holder that the previous one did not exit cleanly.
///
/// File format, version 2: `pid=<pid>`, `started=<ISO 8601 UTC>`, `command=<argv>` and, once the
/// holder's run has an id, `run=<run-id>` lines while held; empty after a clean release. The next
/// holder marks a run named there `crashed` (`RunStore.markCrashed`).
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
    /// The run the previous holder was recording, if it had one.
    public private(set) var previousRun: String?
    private var holderText = ""

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
        took(command: command)
    }

    /// Takes the lock only if it is free now (`RunPrelude`); false if it is not or the file cannot
    /// be opened, without asking who holds it (`acquire` does that, and waits or says who).
    public func tryAcquire(command: String) -> Bool {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            fd = -1
            return false
        }
        took(command: command)
        return true
    }

    private func took(command: String) {
        // A clean release empties the file: anything left names a holder that did not exit cleanly.
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 {
            let old = (try? FileSystem.readText(path))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if !old.isEmpty {
                let fields = Self.fields(old)
                previousHolder = ["pid", "started", "run"].compactMap { k in fields[k].map { "\(k) \($0)" } }.joined(separator: ", ")
                if previousHolder?.isEmpty == true { previousHolder = "holder unknown" }
                previousRun = fields["run"]
            }
        }
        holderText = "pid=\(getpid())\nstarted=\(UTCTime(Date()).iso)\ncommand=\(Self.oneLine(command))\n"
        writeHolder()
    }

    /// `text` on one line: each line feed becomes a space. Byte by byte (a line feed is one byte
    /// in UTF-8): the same through `unicodeScalars` cost 0.2 ms of first-use generic lookups.
    static func oneLine(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 == UInt8(ascii: "\n") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// Names the run this holder records (so a crash can be attributed to it).
    public func note(run: String) {
        guard fd >= 0 else { return }
        holderText += "run=\(run)\n"
        writeHolder()
    }

    /// The text first, then the length: a reader never sees an empty file while the lock is held
    /// (it may see the previous holder's longer text cut to this one's length for an instant,
    /// which `describeHolder` reads as the new pid's lines).
    private func writeHolder() {
        let n = holderText.withCString { pwrite(fd, $0, strlen($0), 0) }
        if n >= 0 { ftruncate(fd, off_t(n)) }
    }

    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        return fields
    }

    /// Set when the holder could not finish its run record (the disk is full): the holder text is
    /// left in place at release, so the next holder marks that run crashed once it can write.
    public var leaveHolderRecord = false

    /// Clears the holder record and drops the lock.
    public func release() {
        guard fd >= 0 else { return }
        if !leaveHolderRecord { ftruncate(fd, 0) }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    /// The holder's pid and start time. The winner of a race writes them just after taking the
    /// lock, so an empty file is read again for a moment before giving up.
    private func describeHolder() -> String {
        // Up to half a second: on a loaded machine (two cores, a test suite and a compiler) the
        // winner's write came more than 100 ms after its flock.
        for attempt in 0..<250 {
            let fields = Self.fields((try? FileSystem.readText(path)) ?? "")
            if let pid = fields["pid"], let started = fields["started"] { return "pid \(pid), started \(started)" }
            if attempt < 249 { usleep(2_000) }
        }
        return "holder unknown"
    }
}

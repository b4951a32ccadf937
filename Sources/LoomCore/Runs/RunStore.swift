import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Run records under `experiments/`: one directory per run, `run.json`, `report.html` and
/// `logs/<task>.log` (the directory made when the first task of the run starts); plus `index.jsonl`, one `RunSummary` line per finished run (appended under
/// the project lock; a later line for the same id replaces an earlier one), so that listing and
/// comparing a thousand runs reads one file instead of a thousand. Runs missing from the index
/// (crashed, or recorded before the index existed) are read from their `run.json`. `dags/` holds
/// the DAG texts runs read, by digest (`DAGTextStore`); its name is not a run id.
public struct RunStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public func directory(_ id: RunID) -> String { "\(root)/\(id.value)" }
    public func logPath(_ id: RunID, task: String) -> String { "\(directory(id))/logs/\(task).log" }

    /// Makes the run's directory and writes its first record (status `running`), so that a run
    /// that never finishes is still listed.
    public func create(_ r: RunRecord) throws {
        try FileSystem.makeDirectories(directory(r.id))
        // Renamed into place, not written there: a crash while writing left a torn record that
        // `loom runs` skipped and `loom show` called damaged. Still one inode, and never over
        // another run's record.
        try FileSystem.writeNewAtomically(directory(r.id) + "/run.json", r.encoded(pretty: true, newline: true))
    }

    public func makeLogDirectory(_ id: RunID) throws {
        try FileSystem.makeDirectories(directory(id) + "/logs")
    }

    public func save(_ r: RunRecord) throws {
        // Renamed into place even when there is no file yet (a run recorded only at its end, a
        // no-op: `Engine.run`): a crash while writing never leaves a torn record.
        try FileSystem.writeAtomically(directory(r.id) + "/run.json", r.encoded(pretty: true, newline: true))
        if r.status != .running { try appendIndex(r) }
    }

    /// The run's directory, if it is not there yet (a run recorded only at its end).
    public func makeRunDirectory(_ id: RunID) throws {
        try FileSystem.makeDirectories(directory(id))
    }

    /// Marks a run whose process died while it held the project lock: if its record still says
    /// `running`, it becomes `crashed`, and so does every task it left running. Returns whether
    /// a record was changed.
    @discardableResult
    public func markCrashed(_ id: String) -> Bool {
        let rid = RunID(id)
        guard var r = try? load(rid), r.status == .running else { return false }
        r.status = .crashed
        r.error = "the run's process died before it finished (killed, or the machine stopped)"
        return (try? save(r)) != nil
    }

    var indexPath: String { root + "/index.jsonl" }

    func appendIndex(_ r: RunRecord) throws {
        let summary = RunSummary(r)
        let line = summary.json.encoded() + "\n"
        let fd = open(indexPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.fail("cannot open", indexPath) }
        defer { close(fd) }
        // One write of the whole line: concurrent readers see whole lines or none of it.
        let n = line.withCString { write(fd, $0, strlen($0)) }
        if n < 0 { throw FileSystem.fail("cannot write", indexPath) }
    }

    /// Every run, oldest first, as summaries.
    public func summaries() -> [RunSummary] {
        var byID: [String: RunSummary] = [:]
        if let bytes = try? FileSystem.readBytes(indexPath) {
            var start = 0
            for i in bytes.indices where bytes[i] == 0x0A {
                if let j = try? JSON.parse(Array(bytes[start..<i])), let r = RunSummary(json: j) { byID[r.id.value] = r }
                start = i + 1
            }
        }
        return ids().compactMap { id in byID[id.value] ?? (try? load(id)).map(RunSummary.init) }
    }

    /// Every run id, oldest first (directories whose name looks like a run id).
    public func ids() -> [RunID] {
        ((try? FileSystem.listDirectory(root)) ?? []).filter { $0.count >= 22 && $0.first?.isNumber == true }.map(RunID.init).sorted()
    }

    /// A run record that cannot be read: the file is missing, not JSON, or not a record of a
    /// format this Loom knows (a user error with the path, not a bug: files get damaged).
    public struct Damaged: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var problem: String
        public var description: String { "cannot read run record \(path): \(problem)" }
    }

    public func load(_ id: RunID) throws -> RunRecord {
        let path = directory(id) + "/run.json"
        let bytes: [UInt8]
        do { bytes = try FileSystem.readBytes(path) } catch { throw Damaged(path: path, problem: "\(error)") }
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw Damaged(path: path, problem: "not JSON (\(error))") }
        guard let r = RunRecord(json: json) else {
            let format = json["format"]?.string.map { "'\($0)'" } ?? "none"
            throw Damaged(path: path, problem: "not a loom run record of a known format (format \(format); this loom reads loom-run 1 and 2)")
        }
        return r
    }
}

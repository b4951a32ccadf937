import Foundation

/// How a task ended in a run (or would, in `--dry-run` / `status`).
public enum TaskStatus: String, Sendable {
    case ran, cached, failed, skipped
    /// Stopped by Ctrl-C / SIGTERM while it ran (not a failure of the task).
    case interrupted
    /// status / dry-run only
    case upToDate = "up-to-date", stale
}

/// One task's line in a run record.
public struct TaskReport: Sendable {
    public var name: String
    public var kind: String
    public var status: TaskStatus
    public var reasons: [String]
    public var key: CacheKey?
    public var artifact: Digest?
    /// Seconds from the start of the run.
    public var start: Double?
    public var duration: Double?
    public var attempts: Int = 0
    public var metrics: [String: Double] = [:]
    /// Relative to the run directory.
    public var log: String?
    /// For failures: how the last attempt ended, and any message.
    public var outcome: String?
    public var error: String?
    public var manifest: KeyManifest?

    /// The reason a task that was stale here lists when a remote cache served its artifact.
    public static let servedByRemote = "served by the remote cache"

    public init(name: String, kind: String, status: TaskStatus, reasons: [String] = []) {
        self.name = name
        self.kind = kind
        self.status = status
        self.reasons = reasons
    }

    /// Writes the report as one object of the record (keys in byte order, as `JSON` sorts them;
    /// `attempts` 0, no `metrics` and no `reasons` are left out, and read back as such).
    func write(_ w: inout JSONWriter) {
        w.openObject()
        if let artifact { w.field("artifact", digest: artifact) }
        if attempts != 0 { w.field("attempts", attempts) }
        if let duration { w.field("duration", number: (duration * 1000).rounded() / 1000) }
        if let error { w.field("error", error) }
        if let key { w.field("key", digest: key.digest) }
        w.field("kind", kind)
        if let log { w.field("log", log) }
        if let manifest { w.key("manifest"); manifest.write(&w) }
        if !metrics.isEmpty { w.field("metrics", numbers: metrics) }
        w.field("name", name)
        if let outcome { w.field("outcome", outcome) }
        if !reasons.isEmpty { w.field("reasons", strings: reasons) }
        if let start { w.field("start", number: (start * 1000).rounded() / 1000) }
        w.field("status", status.rawValue)
        w.closeObject()
    }

    public init?(json j: JSON) {
        guard let name = j["name"]?.string, let kind = j["kind"]?.string,
              let status = j["status"]?.string.flatMap(TaskStatus.init(rawValue:)) else { return nil }
        self.init(name: name, kind: kind, status: status, reasons: (j["reasons"]?.array ?? []).compactMap(\.string))
        key = j["key"]?.string.flatMap(CacheKey.init(hex:))
        artifact = j["artifact"]?.string.flatMap(Digest.init(hex:))
        start = j["start"]?.double
        duration = j["duration"]?.double
        attempts = j["attempts"]?.int ?? 0
        metrics = (j["metrics"]?.object ?? [:]).compactMapValues(\.double)
        log = j["log"]?.string
        outcome = j["outcome"]?.string
        error = j["error"]?.string
        manifest = j["manifest"].flatMap(KeyManifest.init(json:))
    }
}

/// The record of one `loom run`, kept as `experiments/<run-id>/run.json`.
///
/// Format, version 2 (stable JSON): `format` = "loom-run 2", `id`, `name`, `tags`, `dag` (path),
/// `dagName`, `dagDigest`, `params` (resolved DAG params, canonical text), `paramValues` (typed),
/// `overrides` (names given with -P), `targets`, `forced`, `jobs`, `startedAt` (ISO 8601 UTC),
/// `duration` (s), `status` (running, succeeded, gate-failed, failed, interrupted, crashed), `pid`, `host`, optional
/// `sweep` (sweep id), `gateFailures` (messages of failed metric gates) and `rerunOf` (the run
/// `loom rerun` repeated), `provenance` (see `Provenance`), `tasks` (in topological order, see
/// `TaskReport.json`), optional `estimate` (what the run was predicted to cost from the runs
/// before it: `CostEstimate.Recorded`). Version 1 is version 2 without `provenance`, `rerunOf`
/// and `estimate`; both are read.
/// Run records hold what varies between runs (times, host); artifacts never do.
public struct RunRecord: Sendable {
    /// `crashed`: the run's process died without finishing its record (SIGKILL, power loss); the
    /// next command to take the project lock marks it. `failed` with an `error` and no failed
    /// task: the environment failed (disk full, permissions), exit code 6. `gate-failed`: every
    /// task succeeded but a metric gate (`gateFailures`) failed, exit code 5. Records written
    /// before `gate-failed` existed say `succeeded` with `gateFailures`; they read as `gate-failed`.
    public enum Status: String, Sendable, CaseIterable {
        case running, succeeded
        case gateFailed = "gate-failed"
        case failed, interrupted, crashed

        /// The status a record written by any version means: older ones marked a failed gate only
        /// by listing it.
        static func read(_ text: String?, gateFailures: [String]) -> Status? {
            guard let s = text.flatMap(Status.init(rawValue:)) else { return nil }
            return s == .succeeded && !gateFailures.isEmpty ? .gateFailed : s
        }
    }

    public var id: RunID
    public var name: String?
    public var tags: [String] = []
    public var dagPath: String
    public var dagName: String
    public var dagDigest: Digest
    public var params: [String: ParamValue]
    public var overrides: [String] = []
    public var targets: [String] = []
    public var forced: [String] = []
    public var jobs: Int
    public var startedAt: Date
    public var duration: Double?
    public var status: Status
    public var pid: Int32
    public var host: String
    public var tasks: [TaskReport]
    /// Set when the run is one point of a parameter sweep (`-P k=3,4,5`): the sweep's id.
    public var sweep: String?
    /// Metric gates (`--fail-if`, `--fail-if-drop`) that failed, as messages.
    public var gateFailures: [String] = []
    /// Why the run itself (not a task) failed or crashed: the environment (disk full, ...).
    public var error: String?
    /// Where the run came from (nil in records of format 1).
    public var provenance: Provenance?
    /// The run `loom rerun` repeated.
    public var rerunOf: String?
    /// What the tasks this run executed were predicted to cost (see `CostEstimate`).
    public var estimate: CostEstimate.Recorded?

    public init(id: RunID, dagPath: String, dagName: String, dagDigest: Digest, params: [String: ParamValue], jobs: Int,
                startedAt: Date, status: Status, tasks: [TaskReport]) {
        self.id = id
        self.dagPath = dagPath
        self.dagName = dagName
        self.dagDigest = dagDigest
        self.params = params
        self.jobs = jobs
        self.startedAt = startedAt
        self.status = status
        self.tasks = tasks
        pid = getpid()
        host = Machine.hostName()
    }

    /// The record's stable JSON (the bytes `JSON.encodedBytes` gives for the same value: keys in
    /// byte order), written directly because a record of a thousand tasks is written on every run.
    public func encoded(pretty: Bool, newline: Bool = false) -> [UInt8] {
        var w = JSONWriter(pretty: pretty, capacity: 1024 + 400 * tasks.count)
        w.openObject()
        w.field("dag", dagPath)
        w.field("dagDigest", dagDigest.hex)
        w.field("dagName", dagName)
        if let duration { w.field("duration", number: (duration * 1000).rounded() / 1000) }
        if let error { w.field("error", error) }
        if let estimate { w.key("estimate"); w.value(estimate.json) }
        w.field("forced", strings: forced)
        w.field("format", "loom-run 2")
        if !gateFailures.isEmpty { w.field("gateFailures", strings: gateFailures) }
        w.field("host", host)
        w.field("id", id.value)
        w.field("jobs", jobs)
        if let name { w.field("name", name) }
        w.field("overrides", strings: overrides)
        w.key("paramValues")
        w.value(.object(params.mapValues(\.json)))
        w.key("params")
        w.value(.object(params.mapValues { .string($0.canonical) }))
        w.field("pid", Int(pid))
        if let provenance { w.key("provenance"); provenance.write(&w) }
        if let rerunOf { w.field("rerunOf", rerunOf) }
        w.field("startedAt", RunID.iso(startedAt))
        w.field("status", status.rawValue)
        if let sweep { w.field("sweep", sweep) }
        w.field("tags", strings: tags)
        w.field("targets", strings: targets)
        w.key("tasks")
        w.openArray()
        // One line per task (by index: no copy of each report): a record of 30,000 tasks is half
        // the size it is with every field on a line of its own.
        for i in tasks.indices { w.element(); w.compact { tasks[i].write(&$0) } }
        w.closeArray()
        w.closeObject()
        if newline { w.raw(0x0A) }
        return w.bytes
    }

    public init?(json j: JSON) {
        guard let format = j["format"]?.string, format == "loom-run 1" || format == "loom-run 2", let id = j["id"]?.string, let dag = j["dag"]?.string,
              let digest = j["dagDigest"]?.string.flatMap(Digest.init(hex:)),
              let started = j["startedAt"]?.string.flatMap(RunID.parseISO),
              let status = Status.read(j["status"]?.string, gateFailures: (j["gateFailures"]?.array ?? []).compactMap(\.string)) else { return nil }
        self.init(id: RunID(id), dagPath: dag, dagName: j["dagName"]?.string ?? GraphBuilder.dagName(dag), dagDigest: digest,
                  params: (j["paramValues"]?.object ?? [:]).mapValues(ParamValue.init(json:)), jobs: j["jobs"]?.int ?? 1,
                  startedAt: started, status: status, tasks: (j["tasks"]?.array ?? []).compactMap(TaskReport.init(json:)))
        name = j["name"]?.string
        sweep = j["sweep"]?.string
        gateFailures = (j["gateFailures"]?.array ?? []).compactMap(\.string)
        error = j["error"]?.string
        tags = (j["tags"]?.array ?? []).compactMap(\.string)
        overrides = (j["overrides"]?.array ?? []).compactMap(\.string)
        targets = (j["targets"]?.array ?? []).compactMap(\.string)
        forced = (j["forced"]?.array ?? []).compactMap(\.string)
        duration = j["duration"]?.double
        pid = Int32(j["pid"]?.int ?? 0)
        host = j["host"]?.string ?? ""
        provenance = j["provenance"].flatMap(Provenance.init(json:))
        rerunOf = j["rerunOf"]?.string
        estimate = j["estimate"].flatMap(CostEstimate.Recorded.init(json:))
    }

    public func count(_ s: TaskStatus) -> Int {
        var n = 0
        for i in tasks.indices where tasks[i].status == s { n += 1 }   // by index: no copy of each report
        return n
    }
}

/// A run's id: `yyyyMMdd-HHmmss-SSS-xx` (UTC time to the millisecond, then 2 random hex digits
/// against collisions): ids sort by start time.
public struct RunID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: String
    public init(_ value: String) { self.value = value }
    public var description: String { value }
    public static func < (a: RunID, b: RunID) -> Bool { a.value < b.value }

    public static func new(at date: Date) -> RunID {
        let r = UInt8.random(in: 0...UInt8.max)
        return RunID(UTCTime(date).compact + "-" + String(decoding: [Hex.digit(r >> 4), Hex.digit(r & 15)], as: UTF8.self))
    }

    /// ISO 8601 with milliseconds, UTC.
    static func iso(_ d: Date) -> String { UTCTime(d).iso }

    static func parseISO(_ s: String) -> Date? { UTCTime.parse(s) }
}

import Foundation

/// How a task ended in a run (or would, in `--dry-run` / `status`).
public enum TaskStatus: String, Sendable {
    case ran, cached, failed, skipped
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

    public init(name: String, kind: String, status: TaskStatus, reasons: [String] = []) {
        self.name = name
        self.kind = kind
        self.status = status
        self.reasons = reasons
    }

    public var json: JSON {
        var o: [String: JSON] = ["name": .string(name), "kind": .string(kind), "status": .string(status.rawValue),
                                 "reasons": .array(reasons.map { .string($0) }), "attempts": .int(attempts),
                                 "metrics": .object(metrics.mapValues { .number($0) })]
        if let key { o["key"] = .string(key.hex) }
        if let artifact { o["artifact"] = .string(artifact.hex) }
        if let start { o["start"] = .number((start * 1000).rounded() / 1000) }
        if let duration { o["duration"] = .number((duration * 1000).rounded() / 1000) }
        if let log { o["log"] = .string(log) }
        if let outcome { o["outcome"] = .string(outcome) }
        if let error { o["error"] = .string(error) }
        if let manifest { o["manifest"] = manifest.json }
        return .object(o)
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
/// Format, version 1 (stable JSON): `format` = "loom-run 1", `id`, `name`, `tags`, `dag` (path),
/// `dagName`, `dagDigest`, `params` (resolved DAG params, canonical text), `paramValues` (typed),
/// `overrides` (names given with -P), `targets`, `forced`, `jobs`, `startedAt` (ISO 8601 UTC),
/// `duration` (s), `status` (running, succeeded, failed, interrupted), `pid`, `host`, optional
/// `sweep` (sweep id) and `gateFailures` (messages of failed metric gates),
/// `tasks` (in topological order, see `TaskReport.json`).
/// Run records hold what varies between runs (times, host); artifacts never do.
public struct RunRecord: Sendable {
    public enum Status: String, Sendable { case running, succeeded, failed, interrupted }

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
        host = ProcessInfo.processInfo.hostName
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "format": .string("loom-run 1"), "id": .string(id.value), "tags": .array(tags.map { .string($0) }),
            "dag": .string(dagPath), "dagName": .string(dagName), "dagDigest": .string(dagDigest.hex),
            "params": .object(params.mapValues { .string($0.canonical) }), "paramValues": .object(params.mapValues(\.json)),
            "overrides": .array(overrides.map { .string($0) }), "targets": .array(targets.map { .string($0) }),
            "forced": .array(forced.map { .string($0) }), "jobs": .int(jobs),
            "startedAt": .string(RunID.iso(startedAt)), "status": .string(status.rawValue),
            "pid": .int(Int(pid)), "host": .string(host), "tasks": .array(tasks.map(\.json)),
        ]
        if let name { o["name"] = .string(name) }
        if let sweep { o["sweep"] = .string(sweep) }
        if !gateFailures.isEmpty { o["gateFailures"] = .array(gateFailures.map { .string($0) }) }
        if let duration { o["duration"] = .number((duration * 1000).rounded() / 1000) }
        return .object(o)
    }

    public init?(json j: JSON) {
        guard j["format"]?.string == "loom-run 1", let id = j["id"]?.string, let dag = j["dag"]?.string,
              let digest = j["dagDigest"]?.string.flatMap(Digest.init(hex:)),
              let started = j["startedAt"]?.string.flatMap(RunID.parseISO),
              let status = j["status"]?.string.flatMap(Status.init(rawValue:)) else { return nil }
        self.init(id: RunID(id), dagPath: dag, dagName: j["dagName"]?.string ?? GraphBuilder.dagName(dag), dagDigest: digest,
                  params: (j["paramValues"]?.object ?? [:]).mapValues(ParamValue.init(json:)), jobs: j["jobs"]?.int ?? 1,
                  startedAt: started, status: status, tasks: (j["tasks"]?.array ?? []).compactMap(TaskReport.init(json:)))
        name = j["name"]?.string
        sweep = j["sweep"]?.string
        gateFailures = (j["gateFailures"]?.array ?? []).compactMap(\.string)
        tags = (j["tags"]?.array ?? []).compactMap(\.string)
        overrides = (j["overrides"]?.array ?? []).compactMap(\.string)
        targets = (j["targets"]?.array ?? []).compactMap(\.string)
        forced = (j["forced"]?.array ?? []).compactMap(\.string)
        duration = j["duration"]?.double
        pid = Int32(j["pid"]?.int ?? 0)
        host = j["host"]?.string ?? ""
    }

    public func count(_ s: TaskStatus) -> Int { tasks.lazy.filter { $0.status == s }.count }
}

/// A run's id: `yyyyMMdd-HHmmss-SSS-xx` (UTC time to the millisecond, then 2 random hex digits
/// against collisions): ids sort by start time.
public struct RunID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: String
    public init(_ value: String) { self.value = value }
    public var description: String { value }
    public static func < (a: RunID, b: RunID) -> Bool { a.value < b.value }

    public static func new(at date: Date) -> RunID {
        RunID(UTCTime(date).compact + "-" + String(format: "%02x", UInt8.random(in: 0...UInt8.max)))
    }

    /// ISO 8601 with milliseconds, UTC.
    static func iso(_ d: Date) -> String { UTCTime(d).iso }

    static func parseISO(_ s: String) -> Date? { UTCTime.parse(s) }
}

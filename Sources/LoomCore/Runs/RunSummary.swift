import Foundation

/// One line of `experiments/index.jsonl`: what listing, filtering, resolving references and gates
/// need from a run, without its per-task details.
///
/// Format, version 2 (stable JSON, one object per line): `format` = "loom-run-summary 2", `id`,
/// `name`, `tags`, `dag`, `dagName`, `status`, `startedAt` (ISO 8601), `duration`, `sweep`,
/// `gateFailures`, `params` (canonical text), `paramValues` (typed), `overrides` (names given
/// with -P), optional `commit` (git commit), `counts` (tasks per status), `metrics`
/// (`task.metric` -> number). Version 1 lacks `paramValues`, `overrides` and `commit`; its params
/// are read back from their canonical text (which is YAML flow syntax), it has no overrides.
public struct RunSummary: Sendable {
    public var id: RunID
    public var name: String?
    public var tags: [String]
    public var dagPath: String
    public var dagName: String
    public var status: RunRecord.Status
    public var startedAtText: String
    public var duration: Double?
    public var sweep: String?
    public var gateFailures: [String]
    /// Params as canonical text (what the index compares).
    public var params: [String: String]
    /// The same params, typed.
    public var paramValues: [String: ParamValue]
    public var overrides: [String]
    public var commit: String?
    public var counts: [String: Int]
    public var metrics: [String: Double]

    public init(_ r: RunRecord) {
        id = r.id
        name = r.name
        tags = r.tags
        dagPath = r.dagPath
        dagName = r.dagName
        status = r.status
        startedAtText = RunID.iso(r.startedAt)
        duration = r.duration
        sweep = r.sweep
        gateFailures = r.gateFailures
        params = r.params.mapValues(\.canonical)
        paramValues = r.params
        overrides = r.overrides
        commit = r.provenance?.git?.commit
        var c: [String: Int] = [:]
        for i in r.tasks.indices { c[r.tasks[i].status.rawValue, default: 0] += 1 }
        counts = c
        var m: [String: Double] = [:]
        for i in r.tasks.indices where !r.tasks[i].metrics.isEmpty { for (k, v) in r.tasks[i].metrics { m[r.tasks[i].name + "." + k] = v } }
        metrics = m
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "format": .string("loom-run-summary 2"), "id": .string(id.value), "tags": .array(tags.map { .string($0) }),
            "dag": .string(dagPath), "dagName": .string(dagName), "status": .string(status.rawValue),
            "startedAt": .string(startedAtText), "gateFailures": .array(gateFailures.map { .string($0) }),
            "params": .object(params.mapValues { .string($0) }), "paramValues": .object(paramValues.mapValues(\.json)),
            "overrides": .array(overrides.map { .string($0) }), "counts": .object(counts.mapValues { .int($0) }),
            "metrics": .object(metrics.mapValues { .number($0) }),
        ]
        if let name { o["name"] = .string(name) }
        if let sweep { o["sweep"] = .string(sweep) }
        if let commit { o["commit"] = .string(commit) }
        if let duration { o["duration"] = .number((duration * 1000).rounded() / 1000) }
        return .object(o)
    }

    public init?(json j: JSON) {
        guard let format = j["format"]?.string, format == "loom-run-summary 1" || format == "loom-run-summary 2", let id = j["id"]?.string, let dag = j["dag"]?.string,
              let status = RunRecord.Status.read(j["status"]?.string, gateFailures: (j["gateFailures"]?.array ?? []).compactMap(\.string)) else { return nil }
        self.id = RunID(id)
        name = j["name"]?.string
        tags = (j["tags"]?.array ?? []).compactMap(\.string)
        dagPath = dag
        dagName = j["dagName"]?.string ?? GraphBuilder.dagName(dag)
        self.status = status
        startedAtText = j["startedAt"]?.string ?? ""
        duration = j["duration"]?.double
        sweep = j["sweep"]?.string
        gateFailures = (j["gateFailures"]?.array ?? []).compactMap(\.string)
        params = (j["params"]?.object ?? [:]).compactMapValues(\.string)
        if let typed = j["paramValues"]?.object {
            paramValues = typed.mapValues(ParamValue.init(json:))
        } else {
            paramValues = params.compactMapValues(ParamValue.init(canonical:))
        }
        overrides = (j["overrides"]?.array ?? []).compactMap(\.string)
        commit = j["commit"]?.string
        counts = (j["counts"]?.object ?? [:]).compactMapValues(\.int)
        metrics = (j["metrics"]?.object ?? [:]).compactMapValues(\.double)
    }

    public var startedAt: Date { RunID.parseISO(startedAtText) ?? Date(timeIntervalSince1970: 0) }
    public func count(_ s: TaskStatus) -> Int { counts[s.rawValue] ?? 0 }
    public func metric(_ name: String) -> Double? { metrics[name] }
}

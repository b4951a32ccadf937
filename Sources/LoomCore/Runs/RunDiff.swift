/// What changed between two runs: params, task keys (with field-level reasons), artifacts, metrics.
public struct RunDiff: Sendable {
    public struct ParamChange: Sendable, Equatable { public var name: String; public var old: ParamValue?; public var new: ParamValue? }

    public struct TaskChange: Sendable, Equatable {
        public var task: String
        public var keyChanged: Bool
        public var artifactChanged: Bool
        public var reasons: [String]
        public var oldStatus: String?
        public var newStatus: String?
        /// When the command changed (shell tasks): the old and new command, line by line
        /// (`LineDiff` hunks).
        public var commandDiff: [String] = []
        /// The task is in one run only because the other was a targeted run (`loom run DAG TASK`)
        /// that did not need it: not a change.
        public var outsideTargets = false
        /// Ran and cached are the same outcome (an artifact); failed and skipped are not.
        public var outcomeChanged: Bool {
            func outcome(_ s: String?) -> String? { s == "ran" || s == "cached" ? "ok" : s }
            return outcome(oldStatus) != outcome(newStatus)
        }
        public var changed: Bool { !outsideTargets && (keyChanged || artifactChanged || outcomeChanged) }
    }

    public struct MetricChange: Sendable, Equatable {
        /// `task.metric`
        public var name: String
        public var old: Double?
        public var new: Double?
        public var absolute: Double? { old.flatMap { o in new.map { $0 - o } } }
        public var relative: Double? { old.flatMap { o in o == 0 ? nil : absolute.map { $0 / abs(o) } } }
        public var changed: Bool { old != new }
    }

    /// A provenance field that differs (`commit`, `dirty`, `loom`, `dag`, ...), as text.
    public struct ProvenanceChange: Sendable, Equatable { public var field: String; public var old: String; public var new: String }

    public var old: RunRecord
    public var new: RunRecord
    public var provenance: [ProvenanceChange]
    /// The DAG texts' line diff (hunks) when the digests differ and both texts are stored.
    public var dagText: [String]
    public var params: [ParamChange]
    public var tasks: [TaskChange]
    public var metrics: [MetricChange]

    /// - Parameter manifest: finds a key's manifest when a record does not hold it (cache hits
    ///   keep only their key; the manifest is in the action cache).
    /// - Parameter dagText: finds a DAG text by digest (`DAGTextStore.text(for:)`).
    public init(old: RunRecord, new: RunRecord, manifest: (CacheKey) -> KeyManifest? = { _ in nil },
                dagText: (Digest) -> String? = { _ in nil }) {
        self.old = old
        self.new = new
        provenance = Self.provenanceChanges(old, new)
        if old.dagDigest != new.dagDigest, let a = dagText(old.dagDigest), let b = dagText(new.dagDigest) {
            self.dagText = LineDiff.hunks(a, b)
        } else {
            self.dagText = []
        }
        params = Set(old.params.keys).union(new.params.keys).sorted(by: JSON.byteOrder).compactMap { k in
            old.params[k] == new.params[k] ? nil : ParamChange(name: k, old: old.params[k], new: new.params[k])
        }
        let oldTasks = Dictionary(old.tasks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newTasks = Dictionary(new.tasks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var order = new.tasks.map(\.name)
        for t in old.tasks where newTasks[t.name] == nil { order.append(t.name) }
        // A task a targeted run left out is outside it, not added or removed.
        func outside(_ name: String) -> Bool {
            (oldTasks[name] == nil && !old.targets.isEmpty) || (newTasks[name] == nil && !new.targets.isEmpty)
        }
        tasks = order.map { name in
            let a = oldTasks[name], b = newTasks[name]
            if outside(name) {
                let targeted = a == nil ? old : new
                var c = TaskChange(task: name, keyChanged: false, artifactChanged: false,
                                   reasons: ["not in run \(targeted.id), which ran only \(targeted.targets.joined(separator: ", ")) and what they need"],
                                   oldStatus: a?.status.rawValue, newStatus: b?.status.rawValue)
                c.outsideTargets = true
                return c
            }
            var reasons: [String] = []
            var commandDiff: [String] = []
            switch (a?.manifest ?? a?.key.flatMap(manifest), b?.manifest ?? b?.key.flatMap(manifest)) {
            case let (m1?, m2?):
                // The command's change is shown whole below, as a line diff.
                reasons = KeyDiff.between(m1, m2).map { if case .commandChanged = $0 { "command changed" } else { $0.description } }
                if m1.command != m2.command { commandDiff = LineDiff.hunks(m1.command ?? "", m2.command ?? "") }
            case (nil, _?): reasons = a == nil ? ["task added"] : []
            case (_?, nil): reasons = b == nil ? ["task removed"] : []
            default: break
            }
            var c = TaskChange(task: name, keyChanged: a?.key != b?.key, artifactChanged: a?.artifact != b?.artifact,
                               reasons: reasons, oldStatus: a?.status.rawValue, newStatus: b?.status.rawValue)
            c.commandDiff = commandDiff
            return c
        }
        var m: [MetricChange] = []
        for name in order where !outside(name) {
            let om = oldTasks[name]?.metrics ?? [:], nm = newTasks[name]?.metrics ?? [:]
            for k in Set(om.keys).union(nm.keys).sorted(by: JSON.byteOrder) {
                m.append(MetricChange(name: "\(name).\(k)", old: om[k], new: nm[k]))
            }
        }
        metrics = m
    }

    /// The provenance fields that differ, in a fixed order. A record of format 1 has none: its
    /// fields read as `unknown`.
    static func provenanceChanges(_ a: RunRecord, _ b: RunRecord) -> [ProvenanceChange] {
        func fields(_ r: RunRecord) -> [(String, String)] {
            let p = r.provenance, g = p?.git
            let unknown = p == nil ? "unknown (recorded before provenance)" : nil
            func gitField(_ v: String?, _ note: String?, missing: String = "none") -> String {
                unknown ?? (g == nil ? "none (not in a git repository)" : v ?? "\(missing) (\(note ?? "unknown"))")
            }
            return [
                ("dag", "\(r.dagPath) \(r.dagDigest.short)"),
                ("commit", gitField(g?.commit, g?.commitNote)),
                ("branch", gitField(g?.branchText, nil)),
                ("dirty", gitField(g?.dirty.map { $0 ? "yes" : "no" }, g?.dirtyNote, missing: "unknown")),
                ("loom", unknown ?? p!.loomVersion),
                ("loom build", unknown ?? p!.loomBuild ?? "none"),
                ("user", unknown ?? p!.user),
                ("host", r.host),
            ]
        }
        return zip(fields(a), fields(b)).compactMap { x, y in x.1 == y.1 ? nil : ProvenanceChange(field: x.0, old: x.1, new: y.1) }
    }

    public var json: JSON {
        func num(_ d: Double?) -> JSON { d.map { .number($0) } ?? .null }
        return .object([
            "old": .string(old.id.value), "new": .string(new.id.value),
            "provenance": .array(provenance.map { .object(["field": .string($0.field), "old": .string($0.old), "new": .string($0.new)]) }),
            "dagText": .array(dagText.map { .string($0) }),
            "params": .array(params.map { .object(["name": .string($0.name), "old": $0.old?.json ?? .null, "new": $0.new?.json ?? .null]) }),
            "tasks": .array(tasks.filter(\.changed).map {
                .object(["task": .string($0.task), "keyChanged": .bool($0.keyChanged), "artifactChanged": .bool($0.artifactChanged),
                         "reasons": .array($0.reasons.map { .string($0) }), "oldStatus": $0.oldStatus.map(JSON.string) ?? .null,
                         "newStatus": $0.newStatus.map(JSON.string) ?? .null, "commandDiff": .array($0.commandDiff.map { .string($0) })])
            }),
            "metrics": .array(metrics.map {
                .object(["name": .string($0.name), "old": num($0.old), "new": num($0.new), "absolute": num($0.absolute), "relative": num($0.relative)])
            }),
        ])
    }
}

/// A metric gate for unattended runs: `evaluate.auc < 0.80` fails the run when true;
/// a drop gate `evaluate.auc > 0.01` fails when the metric fell by more than 0.01 since the
/// previous successful run of the same DAG.
public struct MetricGate: Sendable, CustomStringConvertible {
    public enum Op: String, Sendable, CaseIterable { case lt = "<", le = "<=", gt = ">", ge = ">=", eq = "==", ne = "!=" }
    public var metric: String
    public var op: Op
    public var threshold: Double
    public var isDrop: Bool
    public var text: String
    public var description: String { text }

    /// Parses `task.metric OP number`. nil if it is not of that form.
    public init?(_ text: String, isDrop: Bool) {
        let ops: [Op] = [.le, .ge, .eq, .ne, .lt, .gt]
        for op in ops {
            let parts = text.components(separatedBy: op.rawValue)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingSpaces, value = parts[1].trimmingSpaces
            guard !name.isEmpty, name.contains("."), let v = Double(value) else { return nil }
            metric = name
            self.op = op
            threshold = v
            self.isDrop = isDrop
            self.text = text
            return
        }
        return nil
    }

    public static func compare(_ a: Double, _ op: Op, _ b: Double) -> Bool {
        switch op {
        case .lt: return a < b
        case .le: return a <= b
        case .gt: return a > b
        case .ge: return a >= b
        case .eq: return a == b
        case .ne: return a != b
        }
    }

    /// nil when the gate passes; otherwise why it failed.
    public func check(_ run: RunRecord, previous: RunSummary?) -> String? {
        guard let value = run.metric(metric) else { return "gate '\(text)': run has no metric '\(metric)'" }
        if !isDrop {
            return Self.compare(value, op, threshold) ? "gate '\(text)' failed: \(metric) = \(JSON.format(value))" : nil
        }
        guard let previous, let before = previous.metric(metric) else { return nil }
        let drop = before - value
        return Self.compare(drop, op, threshold)
            ? "gate '\(text)' failed: \(metric) dropped by \(JSON.format(drop)) (\(JSON.format(before)) -> \(JSON.format(value)), previous run \(previous.id))" : nil
    }
}

extension RunRecord {
    /// A metric by `task.metric` name.
    /// A metric by `task.metric` name (the longest task name that has the metric, as task names
    /// may hold dots).
    public func metric(_ name: String) -> Double? {
        var found: Double?
        _ = MetricName.split(name) { task in
            let key = String(name.dropFirst(task.count + 1))
            found = tasks.first { $0.name == task }?.metrics[key]
            return found != nil
        }
        return found
    }
}

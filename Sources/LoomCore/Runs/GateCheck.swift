/// Metric gates checked before a run starts, and the run a drop gate compares with.
///
/// A gate's task must be a task of the DAG that the run includes (an error: the gate could never
/// hold). Its metric is checked against the metrics earlier runs of the DAG recorded for that
/// task: an unknown name close to a known one is an error with "did you mean" (a typo would
/// otherwise surface only after the run); an unknown name with nothing close, or a task without
/// history, is a warning: a task may be about to record a metric for the first time.
public struct GateCheck {
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case unknownTask(gate: String, task: String, dag: String, suggestion: String?)
        case taskNotIncluded(gate: String, task: String, targets: [String])
        case unknownMetric(gate: String, metric: String, suggestion: String, known: [String])
        case baselineOtherDAG(baseline: String, dag: String, expected: String)
        case noBaseline(String)

        public var description: String {
            switch self {
            case let .unknownTask(g, t, dag, s):
                return "gate '\(g)': \(dag) has no task '\(t)'" + (s.map { " (did you mean '\($0)'?)" } ?? "")
            case let .taskNotIncluded(g, t, targets):
                return "gate '\(g)': task '\(t)' is not part of this run, which runs only \(targets.joined(separator: ", ")) and what they need"
            case let .unknownMetric(g, m, s, known):
                return "gate '\(g)': no earlier run recorded metric '\(m)' (did you mean '\(s)'?); recorded: \(known.joined(separator: ", "))"
            case let .baselineOtherDAG(b, dag, expected):
                return "--baseline \(b) is a run of \(dag), not of \(expected)"
            case let .noBaseline(b):
                return "--baseline: no run matches '\(b)'"
            }
        }
    }

    public let graph: TaskGraph
    public let targets: [String]
    /// Earlier runs of the same DAG, oldest first.
    public let history: [RunSummary]

    public init(graph: TaskGraph, targets: [String], history: [RunSummary]) {
        self.graph = graph
        self.targets = targets
        self.history = history
    }

    /// Throws the first problem that makes a gate impossible; returns warnings for metrics it
    /// cannot check.
    public func problems(_ gates: [MetricGate]) throws -> [String] {
        let names = graph.nodes.map(\.id.name)
        let included = targets.isEmpty ? nil : Set(graph.closure(of: targets.compactMap(graph.index(of:))).map { graph.nodes[$0].id.name })
        var warnings: [String] = []
        for g in gates {
            let (task, metric) = g.parts(tasks: names)
            guard names.contains(task) else {
                throw Problem.unknownTask(gate: g.text, task: task, dag: graph.dagPath, suggestion: Suggestion.closest(to: task, in: names))
            }
            if let included, !included.contains(task) { throw Problem.taskNotIncluded(gate: g.text, task: task, targets: targets) }
            var known = Set<String>()
            for r in history { for k in r.metrics.keys where k.hasPrefix(task + ".") { known.insert(String(k.dropFirst(task.count + 1))) } }
            if known.contains(metric) { continue }
            let sorted = known.sorted(by: JSON.byteOrder)
            if let s = Suggestion.closest(to: metric, in: sorted) {
                throw Problem.unknownMetric(gate: g.text, metric: g.metric, suggestion: "\(task).\(s)", known: sorted)
            }
            warnings.append("gate '\(g.text)': no earlier run of \(graph.dagPath) recorded metric '\(g.metric)'"
                            + (sorted.isEmpty ? "" : " (recorded: \(sorted.joined(separator: ", ")))") + "; it is checked after the run")
        }
        return warnings
    }

    /// The run `--baseline REF` names, which must be a run of the same DAG; nil without one.
    public static func baseline(_ ref: String?, graph: TaskGraph, query: RunQuery) throws -> RunSummary? {
        guard let ref else { return nil }
        let run: RunSummary
        do { run = try query.resolve(ref, in: query.all()) } catch RunQuery.Problem.none { throw Problem.noBaseline(ref) }
        guard run.dagName == graph.dagName else { throw Problem.baselineOtherDAG(baseline: ref, dag: run.dagPath, expected: graph.dagPath) }
        return run
    }

    /// What a drop gate compares with by default: the last successful run of the same DAG with
    /// the same params (so a run with other params, ad hoc or a sweep point, is never the yardstick).
    public static func lastComparable(_ record: RunRecord, in history: [RunSummary]) -> RunSummary? {
        let params = record.params.mapValues(\.canonical)
        return history.last { $0.id != record.id && $0.dagName == record.dagName && $0.status == .succeeded && $0.params == params }
    }
}

extension MetricGate {
    /// `task.metric` split after the longest prefix that names one of `tasks` (a template's
    /// instance `evaluate.gbdt` holds a dot), else at the first dot (as `RunRecord.metric` reads it).
    public func parts(tasks: [String]) -> (task: String, metric: String) {
        if let known = MetricName.split(metric, isTask: { tasks.contains($0) }) { return known }
        guard let dot = metric.firstIndex(of: ".") else { return (metric, "") }
        return (String(metric[..<dot]), String(metric[metric.index(after: dot)...]))
    }
}

/// `task.metric` names, where task names may hold dots (`evaluate.gbdt.auc`) and so may metric
/// names (`baseline.score_auc`).
public enum MetricName {
    /// Split at the last dot whose prefix `isTask` accepts (the longest task name), nil when none.
    public static func split(_ name: String, isTask: (String) -> Bool) -> (task: String, metric: String)? {
        var dot = name.endIndex
        while let d = name[..<dot].lastIndex(of: ".") {
            let task = String(name[..<d])
            if isTask(task) { return (task, String(name[name.index(after: d)...])) }
            dot = d
        }
        return nil
    }
}

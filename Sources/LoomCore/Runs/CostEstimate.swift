/// What running a DAG's stale tasks will cost, predicted from past run records (issue 14): the
/// wall time under `-j`, the critical path through the stale tasks, and how much the store grows.
///
/// - A task's duration: its latest successful run with the same key (the same work exactly);
///   else the median of its last five successful runs under any key (the same task with other
///   inputs); else it has no history, counts as 0 s and is named. The runs are the DAG's
///   `DurationLog`; attempts served by a remote cache are not in it.
/// - Wall time: the stale tasks scheduled as the local runner does (`-j` slots, `cpus` as slots,
///   ready tasks in plan order, a large task never overtaken), with those durations. Tasks that
///   are up to date cost nothing and are done at the start.
/// - Critical path: the longest chain of needs through stale tasks, by those durations.
/// - Store growth: the size of the artifact that history's matching run produced, when the store
///   still has it (files shared with other artifacts counted in full: an upper bound).
///
/// `loom status` and `loom run --dry-run` print it; a run that executed tasks keeps one in its
/// record (`estimate`), computed at its end from the history before it, for the tasks that
/// executed, so that estimate and actual time sit side by side.
public struct CostEstimate: Sendable, Equatable {
    public enum Source: String, Sendable { case sameKey = "same key", sameTask = "same task", none }

    public struct Task: Sendable, Equatable {
        public var name: String
        public var seconds: Double?
        public var source: Source
        public var bytes: Int64?
    }

    public var jobs: Int
    public var tasks: [Task]
    /// Predicted wall time of the stale tasks under `jobs`.
    public var seconds: Double
    public var criticalPath: [String]
    public var criticalSeconds: Double
    /// Predicted store growth; nil when no stale task's past artifact is known.
    public var bytes: Int64?

    /// Tasks with no history (counted as 0 s).
    public var unknown: [String] { tasks.filter { $0.source == .none }.map(\.name) }

    /// One past run of a task: its key, how long it took, what it produced.
    public struct Sample: Sendable {
        public var key: Digest?
        public var seconds: Double
        public var artifact: Digest?
        public init(key: Digest?, seconds: Double, artifact: Digest?) {
            self.key = key
            self.seconds = seconds
            self.artifact = artifact
        }
    }

    /// The estimate for the `stale` tasks of `graph` (by index, with their keys where known)
    /// under `jobs` slots; `size` gives an artifact's size when the store has it.
    public init(graph: TaskGraph, stale: [(index: Int, key: Digest?)], history: [String: [Sample]], jobs: Int, size: (Digest) -> Int64?) {
        self.jobs = max(1, jobs)
        var duration: [Int: Double] = [:]
        var tasks: [Task] = []
        var total: Int64 = 0, anySize = false
        for (i, key) in stale {
            let name = graph.nodes[i].id.name
            let past = history[name] ?? []
            var task = Task(name: name, seconds: nil, source: .none, bytes: nil)
            var artifact: Digest?
            if let key, let same = past.first(where: { $0.key == key }) {
                task.seconds = same.seconds
                task.source = .sameKey
                artifact = same.artifact
            } else if !past.isEmpty {
                let recent = past.prefix(5).map(\.seconds).sorted()
                task.seconds = recent.count % 2 == 1 ? recent[recent.count / 2] : (recent[recent.count / 2 - 1] + recent[recent.count / 2]) / 2
                task.source = .sameTask
                artifact = past.first?.artifact
            }
            if let artifact, let bytes = size(artifact) {
                task.bytes = bytes
                total += bytes
                anySize = true
            }
            duration[i] = task.seconds ?? 0
            tasks.append(task)
        }
        self.tasks = tasks
        bytes = anySize ? total : nil
        (criticalPath, criticalSeconds) = Self.criticalPath(graph, duration)
        seconds = Self.simulate(graph, duration, jobs: self.jobs)
    }

    /// The longest chain of needs through the stale tasks (`duration` holds exactly those).
    static func criticalPath(_ graph: TaskGraph, _ duration: [Int: Double]) -> ([String], Double) {
        var finish: [Int: Double] = [:], via: [Int: Int] = [:]
        var best: Int?
        for i in duration.keys.sorted() {   // graph order is topological
            let before = graph.nodes[i].needs.filter { duration[$0] != nil }.max { (finish[$0]!, $1) < (finish[$1]!, $0) }
            finish[i] = duration[i]! + (before.map { finish[$0]! } ?? 0)
            if let before { via[i] = before }
            if best == nil || finish[i]! > finish[best!]! { best = i }
        }
        guard let end = best else { return ([], 0) }
        var path = [end]
        while let p = via[path.last!] { path.append(p) }
        return (path.reversed().map { graph.nodes[$0].id.name }, finish[end]!)
    }

    /// Wall time of the stale tasks on `jobs` slots, started in plan order as the local
    /// scheduler starts them.
    static func simulate(_ graph: TaskGraph, _ duration: [Int: Double], jobs: Int) -> Double {
        var waiting = Set(duration.keys)
        var pending: [Int: Int] = [:]
        for i in duration.keys { pending[i] = graph.nodes[i].needs.filter { duration[$0] != nil }.count }
        var ready = duration.keys.filter { pending[$0] == 0 }.sorted()
        var running: [(end: Double, task: Int, slots: Int)] = []
        var free = jobs, now = 0.0
        while !waiting.isEmpty || !running.isEmpty {
            while let first = ready.first {
                let slots = min(max(graph.nodes[first].resources.cpus ?? 1, 1), jobs)
                guard slots <= free else { break }   // never overtaken
                ready.removeFirst()
                waiting.remove(first)
                free -= slots
                running.append((now + duration[first]!, first, slots))
            }
            guard let next = running.min(by: { ($0.end, $0.task) < ($1.end, $1.task) }) else { break }
            now = next.end
            running.removeAll { $0.task == next.task }
            free += next.slots
            for d in graph.dependents[next.task] where duration[d] != nil {
                pending[d]! -= 1
                if pending[d] == 0 { ready.append(d); ready.sort() }
            }
        }
        return now
    }

    /// The record's form (see `Recorded`).
    public var json: JSON { Recorded(self).json }

    /// What a run record keeps (its `estimate`): `seconds`, `criticalSeconds`, `criticalPath`,
    /// `jobs`, `bytes` (absent when unknown), `noHistory` (task names); not the per-task detail.
    public struct Recorded: Sendable, Equatable {
        public var seconds: Double
        public var criticalSeconds: Double
        public var criticalPath: [String]
        public var jobs: Int
        public var bytes: Int64?
        public var noHistory: [String]

        public init?(json j: JSON) {
            guard let s = j["seconds"]?.double, let c = j["criticalSeconds"]?.double, let jobs = j["jobs"]?.int else { return nil }
            seconds = s
            criticalSeconds = c
            self.jobs = jobs
            criticalPath = (j["criticalPath"]?.array ?? []).compactMap(\.string)
            bytes = j["bytes"]?.int.map { Int64($0) }
            noHistory = (j["noHistory"]?.array ?? []).compactMap(\.string)
        }

        public init(_ e: CostEstimate) {
            seconds = e.seconds
            criticalSeconds = e.criticalSeconds
            criticalPath = e.criticalPath
            jobs = e.jobs
            bytes = e.bytes
            noHistory = e.unknown
        }

        public var json: JSON {
            var o: [String: JSON] = ["seconds": .number((seconds * 1000).rounded() / 1000), "criticalSeconds": .number((criticalSeconds * 1000).rounded() / 1000),
                                     "criticalPath": .array(criticalPath.map { .string($0) }), "jobs": .int(jobs),
                                     "noHistory": .array(noHistory.map { .string($0) })]
            if let bytes { o["bytes"] = .int(Int(bytes)) }
            return .object(o)
        }
    }
}

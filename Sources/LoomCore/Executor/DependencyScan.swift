import Foundation
import Synchronization

/// The first of the engine's three parts (ninja's DependencyScan): computes every key and why a
/// task must run, and touches nothing but the stat cache, and, when `repairing` (a run, not
/// `status`), damaged artifacts it evicts. Immutable once made: it holds the declared files'
/// digests, the build state as read under the lock, and the memo that applies, if any, so any
/// thread may ask it anything.
public final class DependencyScan: Sendable {
    public let graph: TaskGraph
    let root: String
    let store: ArtifactStore & ActionCache
    /// The build state as read (by a run, after it took the project lock).
    let state: BuildState
    /// Each node's record in the build state (by index).
    let prior: [BuildState.Record?]
    /// Digest of every declared file of the included tasks.
    public let files: [String: Digest]
    /// The memo of earlier runs of this graph, if any (see `NoopMemo`).
    public let memo: NoopMemo?
    /// Whether a damaged artifact found on the way is evicted (a run) or only reported (`status`).
    let repairing: Bool
    /// The included tasks (the targets and what they need), in topological order.
    public let included: [Int]
    /// With a memo: whether each covered task's artifact seal held when the scan was made
    /// (checked in parallel: a no-op run of 1,000 tasks is mostly these `fstatat`s), and the
    /// store's eviction count then (after an eviction, seals are checked again at use).
    let sealHeld: [Bool]
    let evictionsAtScan: Int
    /// How many tasks were taken from the memo (for tests and `LOOM_STATS`).
    let memoHits = Atomic<Int>(0)
    /// Which tasks were taken from the memo (each slot set by the one call for its task).
    let hit: Slots<Bool>

    /// Hashes the declared files of the included tasks and finds the memo that applies.
    /// `early`: the memo, seals and state a `RunPrelude` read under this run's lock (then
    /// `stateBytes` is not read).
    public init(graph: TaskGraph, root: String, store: ArtifactStore & ActionCache, statCache: StatCache, stateBytes: [UInt8],
                statePath: String, memoPath: String, targets: [String], repairing: Bool, early: RunPrelude.Results? = nil) throws {
        self.graph = graph
        self.root = root
        self.store = store
        self.repairing = repairing
        hit = Slots<Bool>(count: graph.nodes.count)
        let included = targets.isEmpty ? Array(graph.nodes.indices) : graph.closure(of: targets.compactMap(graph.index(of:)))
        self.included = included
        if let g = graph.cacheKey, let m = early.map({ $0.memo }) ?? NoopMemo.load(memoPath), m.graph == g {
            memo = m
        } else {
            memo = nil
        }
        evictionsAtScan = store.evictions
        Stats.mark("scan:memo")
        // The seals of the memo's entries are checked on the pool while this thread reads the
        // build state and stats the declared files (a no-op run of 1,000 tasks is mostly these
        // `fstatat`s). Each included task's entry is checked; `memoHit` uses the result only for
        // entries the build state still agrees with.
        let held = Slots<Bool>(count: graph.nodes.count)
        let sealing = DispatchGroup()
        if let memo {
            let candidates = included.filter { memo.entries[$0] != nil && early?.held[$0] == nil }
            DispatchQueue.global().async(group: sealing) {
                Chunks.forEach(candidates.count, size: 64) { range in
                    for i in candidates[range] { held[i] = memo.entries[i]!.seal.holds(in: store) }
                }
            }
        }
        let state = early?.state ?? BuildState.parse(stateBytes, path: statePath)
        self.state = state
        prior = graph.nodes.map { state.tasks[$0.id.name] }
        Stats.mark("scan:state")
        // Wait for the seals before leaving on a failure: they read `held`.
        let files = Result { try Self.hashDeclaredFiles(graph, included, root: root, statCache: statCache, unchanged: early?.unchanged ?? [:]) }
        Stats.mark("scan:files")
        sealing.wait()
        self.files = try files.get()
        sealHeld = memo == nil ? [] : held.values.enumerated().map { i, h in h ?? early?.held[i] ?? false }
    }

    /// Digest of each declared file or directory of the included tasks, hashed in parallel
    /// (through the stat cache, so unchanged files are not read).
    /// `unchanged`: files a `RunPrelude` found as the stat cache remembers them, a moment ago.
    static func hashDeclaredFiles(_ graph: TaskGraph, _ included: [Int], root: String, statCache: StatCache,
                                  unchanged: [String: Digest] = [:]) throws -> [String: Digest] {
        var map: [String: Digest] = [:]
        var rest: Set<String> = []
        for i in included {
            for f in graph.nodes[i].files {
                if let d = unchanged[f] { map[f] = d } else { rest.insert(f) }
            }
        }
        // Nothing left to stat (every file unchanged, or none declared): no pool, no result slots
        // (their generic types cost a first-use metadata lookup, 0.1 ms, on every no-op run).
        guard !rest.isEmpty else { return map }
        let paths = JSON.sortedByBytes(Array(rest))
        let results = Slots<Result<Digest, Error>>(count: paths.count)
        // In chunks: one `stat` each is too little work for an iteration of its own.
        Chunks.forEach(paths.count, size: 32) { range in
            for i in range {
                results[i] = Result { try digest(ofDeclared: paths[i], root: root, statCache: statCache) }
            }
        }
        for (p, r) in zip(paths, results.values) {
            guard case .failure(let e as FileSystem.Failure) = r, e.errno == ENOENT else { map[p] = try r!.get(); continue }
            // The graph (maybe from `GraphCache`, which does not stat declared files: the scan
            // does, once) names a file that is gone: the same error the graph builder gives.
            let task = included.first { graph.nodes[$0].files.contains(p) }.map { graph.nodes[$0].id.name } ?? "?"
            throw DiagnosticError([Diagnostic(.error, "declared file '\(p)' of task '\(task)' does not exist (\(graph.dagPath))")])
        }
        return map   // the caller saves the stat cache (a run does it while its tasks run)
    }

    /// A file's content digest, or a directory's digest over its listing (every file by content).
    static func digest(ofDeclared rel: String, root: String, statCache: StatCache) throws -> Digest {
        let abs = rel == "." ? root : root + "/" + rel
        var st = stat()   // one stat per declared file: it tells a directory and feeds the stat cache
        guard stat(abs, &st) == 0 else { throw FileSystem.fail("cannot stat", abs) }
        guard st.st_mode & S_IFMT == S_IFDIR else { return try statCache.digest(ofFile: abs, key: rel, stat: st) }
        let listing = try TreeListing.scan(abs) { a, r, _, _ in try statCache.digest(ofFile: a, key: rel + "/" + r) }
        return listing.digest
    }

    func manifest(_ n: TaskNode, inputs: [String: Digest]) -> KeyManifest {
        KeyManifest(kind: n.kind, kindVersion: n.kindVersion, params: n.params, inputs: inputs,
                    files: Dictionary(uniqueKeysWithValues: n.files.map { ($0, files[$0]!) }),
                    env: n.env, outputs: n.outputs, command: n.command)
    }

    /// Why task `n` must run (no reasons: up to date, with the artifact to reuse).
    /// `unknown` are needed tasks that will run first, so their digests are not known yet.
    /// With `deferDiff`, a task that is stale only because its key changed gets no reasons yet and
    /// `diffDeferred` set: its reasons are `changeReasons(n, m)`, which the builder computes once
    /// the task has started (reading and diffing the last build's manifest took ~4 ms of a join of
    /// 1,000 inputs, before its process could start).
    func explain(_ n: TaskNode, _ m: KeyManifest, unknown: [String], forced: Bool,
                 deferDiff: Bool = false) -> (staleness: Staleness, key: CacheKey?, cached: Digest?, diffDeferred: Bool) {
        var reasons: [StaleReason] = forced ? [.forced] : []
        let previous = prior[n.index]
        if !unknown.isEmpty {
            reasons += unknown.map(StaleReason.upstreamWillRun)
            reasons += diff(n, m, unknownInputs: Set(unknown)).filter { $0 != .previousUnknown }
            return (Staleness(reasons), nil, nil, false)
        }
        let key = m.key
        var cached: Digest?
        // A stored artifact is served only if its files are still its bytes (its seal, or a
        // re-hash); a damaged one is evicted by a run (not by `status`) and its task reruns.
        func serve(_ d: Digest) -> Bool {
            switch store.condition(of: d, repair: repairing) {
            case .intact: cached = d; return true
            case .damaged: reasons.append(.artifactDamaged(d)); return true
            case .missing: return false
            }
        }
        if let p = previous, p.key == key, serve(p.artifact) {
        } else if let e = store.lookup(key) {
            if !serve(e.artifact) { reasons.append(.artifactMissing(e.artifact)) }
        } else if let p = previous, p.key == key {
            reasons.append(.artifactMissing(p.artifact))
        }
        if cached == nil && reasons.filter({ $0 != .forced }).isEmpty {
            if deferDiff { return (Staleness(reasons), key, nil, true) }
            reasons += changeReasons(n, m)
        }
        return (Staleness(reasons), key, cached, false)
    }

    /// Why a task whose key is not in the store is stale: its key's fields against its last build's.
    func changeReasons(_ n: TaskNode, _ m: KeyManifest) -> [StaleReason] {
        let d = diff(n, m, unknownInputs: [])
        return d.isEmpty ? [.previousUnknown] : d
    }

    private func diff(_ n: TaskNode, _ m: KeyManifest, unknownInputs: Set<String>) -> [StaleReason] {
        guard let previous = prior[n.index] else { return [.neverRun] }
        guard let old = store.lookup(previous.key)?.manifest else { return [.previousUnknown] }
        return KeyDiff.between(old, m, unknownInputs: unknownInputs).map(StaleReason.changed)
    }

    /// Task `i`'s key, artifact and metrics, when the memo proves them current (see `NoopMemo`):
    /// not forced, the same declared-file digests and needed tasks' artifacts (`upstream`: what
    /// each of its needs ended with in this run, in order) as the memo's entry, the build state
    /// still recording the entry's key and artifact, and the artifact in the store as it was sealed.
    func memoHit(_ i: Int, upstream: [Digest?], forced: Bool) -> (record: BuildState.Record, metrics: [String: Double])? {
        guard let proof = memoProof(i, upstream: upstream, forced: forced) else { return nil }
        countMemoHit(i)
        return proof
    }

    /// Records that task `i` was taken from the memo (once per task and run).
    func countMemoHit(_ i: Int) {
        memoHits.add(1, ordering: .relaxed)
        hit[i] = true
    }

    /// `memoHit` without counting it: whether the memo proves task `i` current.
    func memoProof(_ i: Int, upstream: [Digest?], forced: Bool) -> (record: BuildState.Record, metrics: [String: Double])? {
        guard let memo, !forced, let e = memo.entries[i], let p = prior[i], p.key == e.key, p.artifact == e.seal.digest else { return nil }
        var ups: [Digest] = []
        ups.reserveCapacity(upstream.count)
        for d in upstream { guard let d else { return nil }; ups.append(d) }
        guard NoopMemo.given(files: graph.nodes[i].files, digests: files, upstream: ups) == e.given else { return nil }
        // Present and undamaged (cheap: its seal; anything else takes the full path, which
        // explains and repairs).
        guard store.evictions == evictionsAtScan ? sealHeld[i] : e.seal.holds(in: store) else { return nil }
        return (p, e.metrics)
    }

    /// What `loom status` and `--dry-run` show: every included task, up to date or stale with
    /// reasons.
    public func status(forced: [String]) -> [TaskReport] {
        var known: [Digest?] = Array(repeating: nil, count: graph.nodes.count)
        let reports = Slots<TaskReport>(count: graph.nodes.count)
        // Tasks of one level (longest chain of needs below them) depend only on lower levels, so
        // each level's explanations are computed in parallel, in fixed chunks; the output order
        // is still topological.
        var level = [Int](repeating: 0, count: graph.nodes.count)
        var levels: [[Int]] = []
        for i in included {
            level[i] = graph.nodes[i].needs.map { level[$0] + 1 }.max() ?? 0
            if level[i] == levels.count { levels.append([]) }
            levels[level[i]].append(i)
        }
        for tasks in levels {
            let done = known
            Chunks.forEach(tasks.count, size: 64) { range in
                for i in tasks[range] {
                    reports[i] = self.statusReport(i, known: done, forced: forced.contains(self.graph.nodes[i].id.name))
                }
            }
            for i in tasks where reports[i]?.status == .upToDate { known[i] = reports[i]?.artifact }
        }
        return included.compactMap { reports[$0] }
    }

    /// One task's line of `status`, given the artifacts of the needed tasks known to be up to date.
    private func statusReport(_ i: Int, known: [Digest?], forced: Bool) -> TaskReport {
        let n = graph.nodes[i]
        if let hit = memoHit(i, upstream: n.needs.map { known[$0] }, forced: forced) {
            var r = TaskReport(name: n.id.name, kind: n.kind, status: .upToDate)
            r.key = hit.record.key
            r.artifact = hit.record.artifact
            return r
        }
        var inputs: [String: Digest] = [:]
        var unknown: [String] = []
        for j in n.needs {
            if let d = known[j] { inputs[graph.nodes[j].id.name] = d } else { unknown.append(graph.nodes[j].id.name) }
        }
        let m = manifest(n, inputs: inputs)
        let (s, key, cached, _) = explain(n, m, unknown: unknown, forced: forced)
        var r = TaskReport(name: n.id.name, kind: n.kind, status: s.isStale ? .stale : .upToDate, reasons: s.reasons.map(\.description))
        r.key = key
        if !s.isStale { r.artifact = cached }
        return r
    }
}

/// Fixed slots that parallel iterations fill, each its own index (`concurrentPerform`).
final class Slots<T>: @unchecked Sendable {   // safe: each slot is written by one iteration (or one task), read after all end
    private let base: UnsafeMutablePointer<T?>
    let count: Int
    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(1, count))
        base.initialize(repeating: nil, count: max(1, count))
    }
    deinit { base.deinitialize(count: max(1, count)); base.deallocate() }
    subscript(i: Int) -> T? {
        get { base[i] }
        set { base[i] = newValue }
    }
    var values: [T?] { (0..<count).map { base[$0] } }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a run is asked to do.
public struct RunOptions: Sendable {
    public var jobs = 1
    public var keepGoing = false
    public var targets: [String] = []
    public var forced: [String] = []
    /// The command line that runs a built-in job file (`[loom, "exec-builtin"]`).
    public var builtinLauncher: [String] = []
    public var name: String?
    public var tags: [String] = []
    public var waitForLock = false
    public var lockTimeout: Double?
    public var command = "loom run"
    public var sweep: String?
    public init() {}
}

/// What the console hears while a run goes on.
public enum EngineEvent: Sendable {
    case started(TaskReport, attempt: Int)
    case finished(TaskReport)
    case warning(String)
}

/// Runs a `TaskGraph`: computes keys in dependency order, explains staleness, starts stale tasks
/// through the `TaskRunner`, commits their artifacts to the store and records the run.
public final class Engine: @unchecked Sendable {
    public let project: Project
    public let graph: TaskGraph
    /// The engine sees the store only through these two protocols (a remote store can stand in).
    public let store: ArtifactStore & ActionCache
    public let runner: TaskRunner
    public var observer: (@Sendable (EngineEvent) -> Void)?
    /// A shared cache behind the local store: consulted before a stale task runs, filled after.
    public var remote: RemoteTier?

    let statCache: StatCache
    /// The DAG's build state: read at start for `status`, and again by `run` once it holds the
    /// project lock (a run that waited must see what the run it waited for recorded).
    private(set) var state = BuildState()
    /// Digest of the build state's bytes as read (part of the `NoopMemo` fingerprint).
    private(set) var stateDigest = Digest(of: [UInt8]())
    /// Each node's record in the build state (by index).
    private(set) var prior: [BuildState.Record?] = []
    let memoPath: String
    /// The last successful run's memo, when it holds for this run (see `NoopMemo`).
    private var memo: NoopMemo?
    /// Whether a damaged artifact found on the way is evicted (a run) or only reported (`status`).
    private var repairing = false
    /// Whether the last `run` or `status` could use the last successful run's memo (for tests).
    public var usedMemo: Bool { memo != nil }
    /// Key entries are recorded once their artifacts are on disk, in the background.
    let keys: GroupCommit
    let statePath: String

    private let lock = NSLock()
    private var digests: [Digest?]
    private var reports: [TaskReport?]
    private var running: [Int: RunningJob] = [:]
    private var interrupted = false
    private var scheduler: Scheduler?
    private var t0: UInt64 = 0
    /// The environment tasks inherit, read once (ProcessInfo builds a new dictionary per call).
    private lazy var baseEnvironment = ProcessInfo.processInfo.environment

    public init(project: Project, graph: TaskGraph, runner: TaskRunner = ProcessRunner(), store: (ArtifactStore & ActionCache)? = nil) throws {
        self.project = project
        self.graph = graph
        self.runner = runner
        self.store = try store ?? LocalStore(root: project.storeRoot)
        keys = GroupCommit(store: self.store)
        statCache = StatCache(path: project.storeRoot + "/statcache")
        statePath = BuildState.path(storeRoot: project.storeRoot, dag: graph.dagName)
        memoPath = NoopMemo.path(storeRoot: project.storeRoot, dag: graph.dagName)
        digests = Array(repeating: nil, count: graph.nodes.count)
        reports = Array(repeating: nil, count: graph.nodes.count)
        loadState()
    }

    private func loadState() {
        let stateBytes = (try? FileSystem.readBytes(statePath)) ?? []
        state = BuildState.parse(stateBytes, path: statePath)
        stateDigest = Digest(of: stateBytes)
        prior = graph.nodes.map { [state] in state.tasks[$0.id.name] }
    }

    // MARK: Keys and staleness

    /// Digest of each declared file or directory of the included tasks, hashed in parallel
    /// (through the stat cache, so unchanged files are not read).
    func hashDeclaredFiles(_ included: [Int]) throws -> [String: Digest] {
        let paths = Array(Set(included.flatMap { graph.nodes[$0].files })).sorted()
        var results = [Result<Digest, Error>?](repeating: nil, count: paths.count)
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: paths.count) { i in
                base[i] = Result { try self.digest(ofDeclared: paths[i]) }
            }
        }
        var map: [String: Digest] = [:]
        for (p, r) in zip(paths, results) { map[p] = try r!.get() }
        try? statCache.save()
        return map
    }

    /// A file's content digest, or a directory's digest over its listing (every file by content).
    func digest(ofDeclared rel: String) throws -> Digest {
        let abs = rel == "." ? project.root : project.root + "/" + rel
        guard FileSystem.isDirectory(abs) else { return try statCache.digest(ofFile: abs, key: rel) }
        let listing = try TreeListing.scan(abs) { a, r, _, _ in try self.statCache.digest(ofFile: a, key: rel + "/" + r) }
        return listing.digest
    }

    func manifest(_ n: TaskNode, inputs: [String: Digest], files: [String: Digest]) -> KeyManifest {
        KeyManifest(kind: n.kind, kindVersion: n.kindVersion, params: n.params, inputs: inputs,
                    files: Dictionary(uniqueKeysWithValues: n.files.map { ($0, files[$0]!) }),
                    env: n.env, outputs: n.outputs, command: n.command)
    }

    /// Why task `n` must run (no reasons: up to date, with the artifact to reuse).
    /// `unknown` are needed tasks that will run first, so their digests are not known yet.
    func explain(_ n: TaskNode, _ m: KeyManifest, unknown: [String], forced: Bool) -> (Staleness, CacheKey?, Digest?) {
        var reasons: [StaleReason] = forced ? [.forced] : []
        let previous = prior[n.index]
        func diffs(unknownInputs: Set<String>) -> [StaleReason] {
            guard let previous else { return [.neverRun] }
            guard let old = store.lookup(previous.key)?.manifest else { return [.previousUnknown] }
            return KeyDiff.between(old, m, unknownInputs: unknownInputs).map(StaleReason.changed)
        }
        if !unknown.isEmpty {
            reasons += unknown.map(StaleReason.upstreamWillRun)
            reasons += diffs(unknownInputs: Set(unknown)).filter { $0 != .previousUnknown }
            return (Staleness(reasons), nil, nil)
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
            let d = diffs(unknownInputs: [])
            reasons += d.isEmpty ? [.previousUnknown] : d
        }
        return (Staleness(reasons), key, cached)
    }

    /// The memo of the last successful run, if its fingerprint is this run's.
    func applicableMemo(targets: [String], files: [String: Digest]) -> NoopMemo? {
        guard let g = graph.cacheKey, let m = NoopMemo.load(memoPath),
              m.fingerprint == NoopMemo.fingerprint(graph: g, targets: targets, files: files, state: stateDigest) else { return nil }
        return m
    }

    /// Task `i`'s key, artifact and metrics from the build state, when the memo proves them
    /// current: not forced, every needed task ended with the artifact the state names (`upstream`:
    /// what each of its needs ended with in this run, in order), and the artifact is in the store.
    func memoHit(_ i: Int, upstream: [Digest?], forced: Bool) -> (record: BuildState.Record, metrics: [String: Double])? {
        guard let memo, !forced, let metrics = memo.metrics[i], let p = prior[i] else { return nil }
        for (j, d) in zip(graph.nodes[i].needs, upstream) {
            guard let d, d == prior[j]?.artifact else { return nil }
        }
        // Present and undamaged (cheap: its seal; anything else takes the full path, which
        // explains and repairs).
        guard let seal = memo.seals[i], p.artifact == seal.digest, seal.holds(in: store) else { return nil }
        return (p, metrics)
    }

    func included(targets: [String]) -> [Int] {
        targets.isEmpty ? Array(graph.nodes.indices) : graph.closure(of: targets.compactMap(graph.index(of:)))
    }

    /// What `loom status` and `--dry-run` show: every included task, up to date or stale with reasons.
    /// Touches nothing but the stat cache.
    public func status(targets: [String] = [], forced: [String] = []) throws -> [TaskReport] {
        let inc = included(targets: targets)
        repairing = false
        let files = try hashDeclaredFiles(inc)
        memo = applicableMemo(targets: targets, files: files)
        var known: [Digest?] = Array(repeating: nil, count: graph.nodes.count)
        var reports = [TaskReport?](repeating: nil, count: graph.nodes.count)
        // Tasks of one level (longest chain of needs below them) depend only on lower levels, so
        // each level's explanations are computed in parallel, in fixed chunks; the output order
        // is still topological.
        var level = [Int](repeating: 0, count: graph.nodes.count)
        var levels: [[Int]] = []
        for i in inc {
            level[i] = graph.nodes[i].needs.map { level[$0] + 1 }.max() ?? 0
            if level[i] == levels.count { levels.append([]) }
            levels[level[i]].append(i)
        }
        for tasks in levels {
            let chunk = 64, chunks = (tasks.count + chunk - 1) / chunk
            let done = known
            reports.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    for i in tasks[(c * chunk)..<min(tasks.count, (c + 1) * chunk)] {
                        base[i] = self.statusReport(i, known: done, files: files, forced: forced.contains(graph.nodes[i].id.name))
                    }
                }
            }
            for i in tasks where reports[i]?.status == .upToDate { known[i] = reports[i]?.artifact }
        }
        return inc.compactMap { reports[$0] }
    }

    /// One task's line of `status`, given the artifacts of the needed tasks known to be up to date.
    private func statusReport(_ i: Int, known: [Digest?], files: [String: Digest], forced: Bool) -> TaskReport {
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
        let m = manifest(n, inputs: inputs, files: files)
        let (s, key, cached) = explain(n, m, unknown: unknown, forced: forced)
        var r = TaskReport(name: n.id.name, kind: n.kind, status: s.isStale ? .stale : .upToDate, reasons: s.reasons.map(\.description))
        r.key = key
        if !s.isStale { r.artifact = cached }
        return r
    }

    // MARK: Running

    /// Runs the stale tasks among the targets (all tasks if none) and records the run.
    public func run(_ options: RunOptions) throws -> RunRecord {
        let projectLock = ProjectLock(path: project.storeRoot + "/lock")
        try projectLock.acquire(wait: options.waitForLock, timeout: options.lockTimeout, command: options.command)
        defer { projectLock.release() }
        if let prev = projectLock.previousHolder {
            let marked = projectLock.previousRun.map { project.runs.markCrashed($0) } ?? false
            observer?(.warning("the previous run (\(prev)) did not exit cleanly; taking over its lock"
                               + (marked ? " and marking run \(projectLock.previousRun!) crashed" : "")))
        }
        loadState()
        return try runLocked(options, lock: projectLock)
    }

    private func runLocked(_ options: RunOptions, lock projectLock: ProjectLock) throws -> RunRecord {
        t0 = DispatchTime.now().uptimeNanoseconds
        try FileSystem.emptyDirectory(project.storeRoot + "/tmp")

        let inc = included(targets: options.targets)
        repairing = true
        let files = try hashDeclaredFiles(inc)
        memo = applicableMemo(targets: options.targets, files: files)
        var record = RunRecord(id: RunID.new(at: Date()), dagPath: graph.dagPath, dagName: graph.dagName, dagDigest: graph.dagDigest,
                               params: graph.params, jobs: options.jobs, startedAt: Date(), status: .running, tasks: [])
        record.name = options.name
        record.tags = options.tags
        record.sweep = options.sweep
        record.overrides = graph.overridden
        record.targets = options.targets
        record.forced = options.forced
        let runs = project.runs
        projectLock.note(run: record.id.value)
        do { try runs.create(record) } catch {
            projectLock.leaveHolderRecord = false
            throw EnvironmentFailure(message: "\(error)", run: nil)
        }
        // From here on, a failure of the machine (disk full, permissions) finishes the record as
        // failed with the error before it reaches the command line (exit 6).
        do {
            return try execute(&record, options: options, inc: inc, files: files)
        } catch {
            record.status = .failed
            record.error = "\(error)"
            record.duration = seconds(since: t0)
            if (try? runs.save(record)) == nil { projectLock.leaveHolderRecord = true }
            guard error is FileSystem.Failure else { throw error }
            throw EnvironmentFailure(message: "\(error)", run: record)
        }
    }

    private func execute(_ record: inout RunRecord, options: RunOptions, inc: [Int], files: [String: Digest]) throws -> RunRecord {
        let runs = project.runs

        var mask = [Bool](repeating: false, count: graph.nodes.count)
        for i in inc { mask[i] = true }
        let scheduler = Scheduler(plan: Plan(needs: graph.nodes.map(\.needs), included: mask), jobs: options.jobs, keepGoing: options.keepGoing)
        self.scheduler = scheduler
        let signals = installSignalHandlers()
        let runID = record.id
        let plan = scheduler.run { i, done in
            self.startTask(i, options: options, files: files, runID: runID, done: done)
        }
        removeSignalHandlers(signals)
        if let note = runner.isolationNote, plan.outcomes.contains(where: { $0 != .skipped }) { observer?(.warning(note)) }
        // Every key entry is on disk before the state that trusts it. If the store could not be
        // synced, this run's new results are left out of the state too: they run again next time.
        let syncProblems = keys.drain()
        for problem in syncProblems { observer?(.warning(problem)) }
        if let remote {
            // Write through: every artifact this run made, blobs first, then its key entry.
            if syncProblems.isEmpty {
                for i in inc {
                    guard let r = reports[i], r.status == .ran, let key = r.key, let art = r.artifact, let m = r.manifest else { continue }
                    remote.push(ActionEntry(key: key, artifact: art, manifest: m))
                }
            }
            if let problem = remote.unreachable { observer?(.warning(problem)) }
        }

        // Record: every included task in topological order.
        var newState = state
        var stateChanged = false
        record.tasks.reserveCapacity(inc.count)
        // A task whose artifact is the one recorded last time already has its latest link if the
        // memo's run left every link right and nobody touched `latest/<dag>/` since (its stamp):
        // skipping 1,000 readlinks keeps no-op runs cheap. Otherwise every link is checked.
        let linksStamp = store.latestMembership(dag: graph.dagName)
        let linksRight = memo?.links != nil && memo?.links == linksStamp?.stamp
        for i in inc {
            let n = graph.nodes[i]
            var r = reports[i] ?? TaskReport(name: n.id.name, kind: n.kind, status: .skipped)
            if plan.outcomes[i] == .skipped && r.status != .failed && r.status != .interrupted {
                r.status = .skipped
                r.reasons = interrupted ? ["run interrupted"] : ["not started: a needed task failed or the run stopped"]
            }
            if r.status == .cached || (r.status == .ran && syncProblems.isEmpty), let key = r.key, let art = r.artifact {
                if !linksRight || prior[i]?.artifact != art {
                    store.updateLatest(dag: graph.dagName, task: n.id.name, digest: art)
                }
                let built = BuildState.Record(key: key, artifact: art)
                if prior[i] != built {
                    newState.tasks[n.id.name] = built
                    stateChanged = true
                }
            }
            record.tasks.append(r)
        }
        var savedState = stateDigest
        if stateChanged {
            let bytes = newState.encoded()
            try FileSystem.writeAtomically(statePath, bytes)
            savedState = Digest(of: bytes)
        }
        try? statCache.save()
        record.duration = seconds(since: t0)
        record.status = interrupted ? .interrupted : record.tasks.contains { $0.status == .failed } ? .failed : .succeeded
        // After the state it describes: a crash in between leaves a memo whose fingerprint no
        // longer matches. Only a run in which every included task ended with the key and artifact
        // now in the state proves anything.
        if let g = graph.cacheKey, record.status == .succeeded,
           record.tasks.allSatisfy({ r in
               guard r.status == .cached || r.status == .ran, let key = r.key, let art = r.artifact else { return false }
               return newState.tasks[r.name] == BuildState.Record(key: key, artifact: art)
           }) {
            var metrics: [Int: [String: Double]] = [:]
            for (i, r) in zip(inc, record.tasks) { metrics[i] = r.metrics }
            // Each artifact's seal: the one this run's memo hit just checked, or the store's.
            var seals: [Int: NoopMemo.Seal] = [:]
            for (i, r) in zip(inc, record.tasks) {
                guard let art = r.artifact else { continue }
                if let old = memo?.seals[i], old.digest == art, r.status == .cached, r.manifest == nil, r.reasons.isEmpty {
                    seals[i] = old
                } else if let seal = store.seal(of: art) {
                    seals[i] = NoopMemo.Seal(digest: art, entries: seal.entries)
                }
            }
            let clock = NoopMemo.coarseClock()   // before the stamp: see NoopMemo
            let proved = NoopMemo(fingerprint: NoopMemo.fingerprint(graph: g, targets: options.targets, files: files, state: savedState),
                                  links: NoopMemo.trusted(store.latestMembership(dag: graph.dagName), clockBefore: clock),
                                  metrics: metrics, seals: seals)
            if proved != memo { try? proved.save(memoPath) }
        }
        try runs.save(record)
        try writeReport(record)
        return record
    }

    /// Writes `report.html` beside the run record (again after gates change the record).
    public func writeReport(_ record: RunRecord) throws {
        // Edges are drawn only for DAGs small enough to draw.
        var needs: [String: [String]] = [:]
        if record.tasks.count <= RunReport.maxDrawnTasks {
            for n in graph.nodes { needs[n.id.name] = n.needs.map { graph.nodes[$0].id.name } }
        }
        let path = project.runs.directory(record.id) + "/report.html", html = RunReport.html(record, needs: needs)
        // The first report of a run is a new file; a second one (gates changed the record) replaces it.
        if FileSystem.exists(path) { try FileSystem.writeAtomically(path, html) } else { try FileSystem.writeNew(path, html) }
    }

    private var logDirectoryMade = false
    /// The run's `logs/`, made when its first task starts (a no-op run has none).
    private func makeLogDirectory(_ runID: RunID) throws {
        lock.lock()
        defer { lock.unlock() }
        if !logDirectoryMade { try project.runs.makeLogDirectory(runID); logDirectoryMade = true }
    }

    private func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }

    /// On the scheduler's queue: a cache hit finishes at once; a stale task starts its first attempt.
    private func startTask(_ i: Int, options: RunOptions, files: [String: Digest], runID: RunID, done: @escaping @Sendable (Bool) -> Void) {
        let n = graph.nodes[i]
        lock.lock()
        let upstream = n.needs.map { digests[$0] }
        let stop = interrupted
        lock.unlock()
        let forced = options.forced.contains(n.id.name)
        if let hit = memoHit(i, upstream: upstream, forced: forced) {
            var r = TaskReport(name: n.id.name, kind: n.kind, status: .cached)
            r.key = hit.record.key
            r.artifact = hit.record.artifact
            r.metrics = hit.metrics
            r.start = seconds(since: t0)
            finish(i, r, ok: true, digest: hit.record.artifact, done: done)
            return
        }
        var inputs: [String: Digest] = [:]
        for (j, d) in zip(n.needs, upstream) { inputs[graph.nodes[j].id.name] = d }
        let m = manifest(n, inputs: inputs, files: files)
        let (staleness, key, cached) = explain(n, m, unknown: [], forced: forced)
        var r = TaskReport(name: n.id.name, kind: n.kind, status: .cached, reasons: staleness.reasons.map(\.description))
        r.key = key
        r.manifest = m
        r.start = seconds(since: t0)
        if staleness.isStale, !forced, let key, let remote, let entry = remote.pull(key) {
            // The remote had this key: its artifact was downloaded, checked and committed.
            r.manifest = nil
            r.artifact = entry.artifact
            r.reasons.append("served by the remote cache")
            r.metrics = Self.readMetrics(store.location(of: entry.artifact))
            finish(i, r, ok: true, digest: entry.artifact, done: done)
            return
        }
        if let cached, !staleness.isStale {
            // A cache hit's manifest is the one stored with its key; the record keeps only the key.
            r.manifest = nil
            r.artifact = cached
            r.metrics = Self.readMetrics(store.location(of: cached))
            finish(i, r, ok: true, digest: cached, done: done)
            return
        }
        if stop {
            r.status = .skipped
            finish(i, r, ok: false, digest: nil, done: done)
            return
        }
        r.log = "logs/\(n.id.name).log"
        attempt(i, 1, r, manifest: m, options: options, runID: runID, done: done)
    }

    private func attempt(_ i: Int, _ number: Int, _ report: TaskReport, manifest m: KeyManifest, options: RunOptions,
                         runID: RunID, done: @escaping @Sendable (Bool) -> Void) {
        let n = graph.nodes[i]
        var r = report
        r.attempts = number
        let logPath = project.runs.logPath(runID, task: n.id.name)
        observer?(.started(r, attempt: number))
        let work: String
        let job: Job
        do {
            try makeLogDirectory(runID)
            work = try store.makeStaging(label: n.id.name)
            job = try makeJob(n, attempt: number, work: work, logPath: logPath, launcher: options.builtinLauncher)
            if number > 1 { appendLog(logPath, "\n--- loom: attempt \(number) of \(n.retries + 1) ---\n") }
        } catch {
            r.status = .failed
            r.error = "\(error)"
            finish(i, r, ok: false, digest: nil, done: done)
            return
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let attemptReport = r
        let handle = runner.start(job) { outcome in
            var r = attemptReport
            r.duration = self.seconds(since: started)
            self.lock.lock()
            self.running[i] = nil
            let stop = self.interrupted
            self.lock.unlock()
            if let damage = self.checkInputs(n) {
                // Whatever the task's own outcome: it wrote into the store.
                self.discardAttempt(work)
                self.appendLog(logPath, "loom: \(damage)\n")
                r.status = .failed
                r.error = damage
                self.finish(i, r, ok: false, digest: nil, done: done)
                return
            }
            if outcome == .succeeded {
                do {
                    let digest = try self.commit(n, work: work, manifest: m, key: r.key!)
                    r.status = .ran
                    r.artifact = digest
                    r.metrics = Self.readMetrics(self.store.location(of: digest))
                    self.finish(i, r, ok: true, digest: digest, done: done)
                } catch {
                    self.discardAttempt(work)
                    self.appendLog(logPath, "loom: \(error)\n")
                    r.status = .failed
                    r.error = "\(error)"
                    self.finish(i, r, ok: false, digest: nil, done: done)
                }
                return
            }
            self.discardAttempt(work)
            r.outcome = outcome.description
            if number <= n.retries && !stop && outcome != .cancelled {
                // Back off 1 s, 2 s, 4 s ... (at most 30 s) before the next attempt.
                let delay = min(30, pow(2, Double(number - 1)))
                let retryReport = r
                DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
                    self.attempt(i, number + 1, retryReport, manifest: m, options: options, runID: runID, done: done)
                }
                return
            }
            // Stopped by Ctrl-C / SIGTERM: interrupted, not failed.
            r.status = outcome == .cancelled && stop ? .interrupted : .failed
            self.finish(i, r, ok: false, digest: nil, done: done)
        }
        lock.lock()
        running[i] = handle
        let stop = interrupted
        lock.unlock()
        if stop { handle.cancel() }
    }

    /// After a task: whether its inputs are still the bytes they were (their seals, re-hashed if
    /// a seal does not hold). A damaged input is evicted, never served again, and named.
    private func checkInputs(_ n: TaskNode) -> String? {
        lock.lock()
        let inputs = n.needs.map { (graph.nodes[$0].id.name, digests[$0]) }
        lock.unlock()
        var problems: [String] = []
        for (name, digest) in inputs {
            guard let digest, store.condition(of: digest, repair: false) != .intact else { continue }
            let files = store.damagedFiles(digest)
            _ = store.condition(of: digest, repair: true)
            let what = files.isEmpty || files == [""] ? "its files" : files.map { "'\($0)'" }.joined(separator: ", ")
            problems.append("input '\(name)' (\(what))")
        }
        guard !problems.isEmpty else { return nil }
        return "the task changed \(problems.joined(separator: " and ")) under $LOOM_IN; tasks must not write to their inputs. "
            + "The damaged artifact was evicted from the store and runs again next time"
    }

    private func finish(_ i: Int, _ r: TaskReport, ok: Bool, digest: Digest?, done: @Sendable (Bool) -> Void) {
        lock.lock()
        reports[i] = r
        digests[i] = digest
        lock.unlock()
        observer?(.finished(r))
        done(ok)
    }

    private func makeJob(_ n: TaskNode, attempt: Int, work: String, logPath: String, launcher: [String]) throws -> Job {
        // The staging directory itself is $LOOM_OUT; inputs and the job file sit beside it.
        let out = work, inDir = work + ".in"
        if !n.needs.isEmpty { guard mkdir(inDir, 0o755) == 0 else { throw FileSystem.fail("cannot create", inDir) } }
        var inputs: [(name: String, path: String)] = []
        lock.lock()
        for j in n.needs {
            let name = graph.nodes[j].id.name
            let path = store.location(of: digests[j]!)
            inputs.append((name, path))
            symlink(path, inDir + "/" + name)
        }
        var env = baseEnvironment
        lock.unlock()
        env["LOOM_OUT"] = out
        env["LOOM_IN"] = inDir
        env["LOOM_TASK"] = n.id.name
        env["LOOM_ROOT"] = project.root
        let arguments: [String]
        if n.kind == KindRegistry.shell {
            for (k, v) in n.env { env[k] = v }
            arguments = ["/bin/sh", "-c", n.renderedCommand ?? ""]
        } else {
            guard !launcher.isEmpty else { throw InternalError("no launcher for built-in kinds") }
            let invocation = BuiltinInvocation(kind: n.kind, params: n.params, inputs: inputs, output: out, root: project.root, files: n.files)
            try FileSystem.writeAtomically(work + ".job.json", invocation.json.encoded(pretty: true))
            arguments = launcher + [work + ".job.json"]
        }
        return Job(task: n.id, attempt: attempt, arguments: arguments, environment: env,
                   workingDirectory: project.root, logPath: logPath, timeout: n.timeout,
                   fence: Fence(readOnly: project.storeRoot, writable: out))
    }

    /// Checks declared outputs, moves the output into the store, then queues the key entry.
    private func commit(_ n: TaskNode, work: String, manifest m: KeyManifest, key: CacheKey) throws -> Digest {
        for o in n.outputs where !FileSystem.exists(work + "/" + o) {
            throw KindError("declared output '\(o)' was not written to $LOOM_OUT")
        }
        discardSidecars(work)
        let digest = try store.commit(staging: work)
        keys.add(ActionEntry(key: key, artifact: digest, manifest: m))
        return digest
    }

    /// Removes what sits beside a staging directory (inputs, job file).
    private func discardSidecars(_ work: String) {
        FileSystem.removeTree(work + ".in")
        unlink(work + ".job.json")
    }

    private func discardAttempt(_ work: String) {
        discardSidecars(work)
        store.discard(staging: work)
    }

    private func appendLog(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Numbers from an artifact's `metrics.json`, nested objects flattened with dots (`a.b`).
    public static func readMetrics(_ artifactDir: String) -> [String: Double] {
        guard let bytes = try? FileSystem.readBytes(artifactDir + "/metrics.json"), let j = try? JSON.parse(bytes) else { return [:] }
        var out: [String: Double] = [:]
        func walk(_ v: JSON, _ prefix: String) {
            switch v {
            case .object(let o): for (k, x) in o { walk(x, prefix.isEmpty ? k : prefix + "." + k) }
            case .int, .number: if let d = v.double, !prefix.isEmpty { out[prefix] = d }
            case .bool(let b): if !prefix.isEmpty { out[prefix] = b ? 1 : 0 }
            default: break
            }
        }
        walk(j, "")
        return out
    }

    // MARK: Interruption

    /// Ctrl-C / SIGTERM: stop starting tasks, stop the running ones' process groups, and let the
    /// run end normally so that the store stays consistent and the record says "interrupted".
    private func installSignalHandlers() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in self?.interrupt() }
            s.resume()
            return s
        }
    }

    private func removeSignalHandlers(_ sources: [DispatchSourceSignal]) {
        for s in sources { s.cancel() }
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
    }

    public func interrupt() {
        lock.lock()
        interrupted = true
        let jobs = Array(running.values)
        lock.unlock()
        observer?(.warning("interrupted: stopping running tasks"))
        scheduler?.stop()
        for j in jobs { j.cancel() }
    }

    public var wasInterrupted: Bool { lock.lock(); defer { lock.unlock() }; return interrupted }
}

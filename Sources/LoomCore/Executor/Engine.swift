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
    /// `loom pull`: a stale task the remote cannot serve is not run (it ends skipped).
    public var pullOnly = false
    /// The Loom that runs, for the record's provenance (the CLI knows its version and build).
    public var loomVersion = "unknown"
    public var loomBuild: String?
    /// `loom rerun`: the run repeated.
    public var rerunOf: String?
    /// Called once, on the scheduler's queue, before the first task of the run starts (not for
    /// cache hits): the engine asks git whether the tree is dirty then.
    public var beforeFirstTask: (@Sendable () -> Void)?
    public init() {}
}

/// What the console hears while a run goes on.
public enum EngineEvent: Sendable {
    case started(TaskReport, attempt: Int)
    case finished(TaskReport)
    /// Every task of the run, proved cached at once by the no-op memo (in run order): one event
    /// rather than one `finished` each, so that a front end can print them with one write.
    case allCached([TaskReport])
    case warning(String)
}

/// Runs a `TaskGraph` through three parts with one job each, in the spirit of ninja's
/// DependencyScan / Plan / Builder and llbuild's single-owner core:
/// - `DependencyScan` computes keys and explains staleness (immutable; shared by `status`);
/// - `Builder` starts stale tasks through the `TaskRunner` and commits them; the scheduler's
///   serial queue owns the run's mutable state, completions are posted to it;
/// - `RunRecorder` writes links, build state, memo, run record and report.
/// This type only takes the project lock, sequences the three, and handles signals.
public final class Engine: @unchecked Sendable {   // `observer` and `remote` are set before `run`; `builder` under `lock`
    public let project: Project
    public let graph: TaskGraph
    /// The engine sees the store only through these two protocols (no downcasts).
    public let store: ArtifactStore & ActionCache
    public let runner: TaskRunner
    public var observer: (@Sendable (EngineEvent) -> Void)?
    /// A shared cache behind the local store: consulted before a stale task runs, filled after.
    public var remote: RemoteTier?
    /// Whether artifacts this run makes are pushed to `remote` (`--no-push` turns it off).
    public var writeThrough = true

    let statCache: StatCache
    let statePath: String
    let memoPath: String
    private let lock = NSLock()
    private var builder: Builder?
    private var interruptedEarly = false
    private var lastScan: DependencyScan?

    /// How many tasks the last `run` or `status` took from the memo (for tests).
    public var memoHits: Int { lock.lock(); defer { lock.unlock() }; return lastScan?.memoHits.load(ordering: .relaxed) ?? 0 }

    public init(project: Project, graph: TaskGraph, runner: TaskRunner = ProcessRunner(), store: (ArtifactStore & ActionCache)? = nil) throws {
        self.project = project
        self.graph = graph
        self.runner = runner
        self.store = try store ?? LocalStore(root: project.storeRoot)
        statCache = StatCache(path: project.storeRoot + "/statcache")
        Stats.mark("graph")
        statePath = BuildState.path(storeRoot: project.storeRoot, dag: graph.dagName)
        memoPath = NoopMemo.path(storeRoot: project.storeRoot, dag: graph.dagName)
    }

    private func scan(targets: [String], repairing: Bool, early: RunPrelude.Results? = nil) throws -> DependencyScan {
        let s = try DependencyScan(graph: graph, root: project.root, store: store, statCache: statCache,
                                   stateBytes: early != nil ? [] : (try? FileSystem.readBytes(statePath)) ?? [], statePath: statePath,
                                   memoPath: memoPath, targets: targets, repairing: repairing, early: early)
        lock.lock()
        lastScan = s
        lock.unlock()
        return s
    }

    /// What `loom status` and `--dry-run` show: every included task, up to date or stale with
    /// reasons. Touches nothing but the stat cache.
    public func status(targets: [String] = [], forced: [String] = []) throws -> [TaskReport] {
        try statusWithEstimate(targets: targets, forced: forced, jobs: nil).reports
    }

    /// `status`, and with `jobs` what running its stale tasks with that many slots will cost,
    /// from the DAG's recent run records (see `CostEstimate`). `jobs` is asked only when a task
    /// is stale (the default counts cores through cgroup files).
    public func statusWithEstimate(targets: [String] = [], forced: [String] = [], jobs: @autoclosure () -> Int?) throws -> (reports: [TaskReport], estimate: CostEstimate?) {
        let s = try scan(targets: targets, repairing: false)
        try? statCache.save(trash: project.storeRoot + "/tmp")
        Stats.mark("scan:seals")
        let reports = s.status(forced: forced)
        Stats.mark("explain")
        guard reports.contains(where: { $0.status == .stale }), let jobs = jobs() else { return (reports, nil) }
        let stale = reports.compactMap { r in r.status == .stale ? graph.index(of: r.name).map { (index: $0, key: r.key?.digest) } : nil }
        return (reports, estimate(stale: stale, jobs: jobs))
    }

    /// Runs the stale tasks among the targets (all tasks if none) and records the run. With a
    /// `prelude` (best made with this engine's store: `RunPrelude.store`), the run holds its lock
    /// already and uses its reads if it was made for this DAG; it releases the lock either way.
    public func run(_ options: RunOptions, prelude: RunPrelude? = nil) throws -> RunRecord {
        let projectLock: ProjectLock
        if let prelude {
            projectLock = prelude.lock
        } else {
            projectLock = ProjectLock(path: project.storeRoot + "/lock")
            try projectLock.acquire(wait: options.waitForLock, timeout: options.lockTimeout, command: options.command)
        }
        Stats.mark("lock")
        defer { if let prelude { prelude.release() } else { projectLock.release() } }
        if let prev = projectLock.previousHolder {
            let marked = projectLock.previousRun.map { project.runs.markCrashed($0) } ?? false
            observer?(.warning("the previous run (\(prev)) did not exit cleanly; taking over its lock"
                               + (marked ? " and marking run \(projectLock.previousRun!) crashed" : "")))
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        try FileSystem.emptyDirectory(project.storeRoot + "/tmp")
        // The build state is read now, under the lock: a run that waited sees what the run it
        // waited for recorded.
        let early = prelude.flatMap { $0.dagName == graph.dagName ? $0.wait() : nil }
        let scan = try self.scan(targets: options.targets, repairing: true, early: early)
        Stats.mark("scan:seals")
        var record = RunRecord(id: RunID.new(at: Date()), dagPath: graph.dagPath, dagName: graph.dagName, dagDigest: graph.dagDigest,
                               params: graph.params, jobs: options.jobs, startedAt: Date(), status: .running, tasks: [])
        record.name = options.name
        record.tags = options.tags
        record.sweep = options.sweep
        record.overrides = graph.overridden
        record.targets = options.targets
        record.forced = options.forced
        record.rerunOf = options.rerunOf
        let git = GitState.Repository.find(from: project.root)
        record.provenance = provenance(options, git: git)
        projectLock.note(run: record.id.value)
        var options = options
        let dirty = git.map { DirtyCheck(workTree: $0.workTree) }
        if let dirty { options.beforeFirstTask = { dirty.run() } }
        let keys = GroupCommit(store: store)
        let builder = Builder(scan: scan, project: project, store: store, runner: runner, keys: keys, remote: remote,
                              options: options, runID: record.id, observer: observer, t0: t0)
        // A run the memo proves a no-op starts no task: its record is written once, at its end
        // (a directory and a file renamed into place, where a record written first as running
        // took one more inode creation and a write, 0.2-0.3 ms on this disk). Killed before that, it leaves no record: it did
        // nothing, and the next holder of the lock still warns that it did not exit cleanly.
        if !builder.provedByMemo() {
            do { try project.runs.create(record) } catch {
                throw EnvironmentFailure(message: "\(error)", run: nil)
            }
        }
        Stats.mark("record")
        // From here on, a failure of the machine (disk full, permissions) finishes the record as
        // failed with the error before it reaches the command line (exit 6).
        do {
            try build(&record, builder: builder, keys: keys, scan: scan, options: options, dirty: dirty, started: t0)
            return record
        } catch {
            record.status = .failed
            record.error = "\(error)"
            record.duration = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            // Not even the record can be written: the lock file keeps naming this run, so the
            // next holder marks it crashed.
            if (try? project.runs.makeRunDirectory(record.id)) == nil || (try? project.runs.save(record)) == nil {
                projectLock.leaveHolderRecord = true
            }
            guard error is FileSystem.Failure else { throw error }
            throw EnvironmentFailure(message: "\(error)", run: record)
        }
    }

    /// The run's provenance: git state read from `.git` (dirtiness is asked later, see
    /// `DirtyCheck`), and the DAG's text stored (once per digest) beside the run records.
    private func provenance(_ options: RunOptions, git: GitState.Repository?) -> Provenance {
        let state = git.map { GitState.read($0) }
        Stats.mark("git")
        var p = Provenance(loomVersion: options.loomVersion, loomBuild: options.loomBuild, user: Provenance.currentUser(), git: state)
        if let text = graph.dagText {   // the text `dagDigest` was computed from, in the same load
            // A copy that cannot be written is not a reason to fail the run: the record says so by its absence.
            p.dagText = try? DAGTextStore(runsRoot: project.runsRoot).store(text, digest: graph.dagDigest)
        }
        Stats.mark("provenance")
        return p
    }

    private func build(_ record: inout RunRecord, builder: Builder, keys: GroupCommit, scan: DependencyScan, options: RunOptions,
                       dirty: DirtyCheck?, started t0: UInt64) throws {
        lock.lock()
        self.builder = builder
        let early = interruptedEarly
        lock.unlock()
        if early { builder.interrupt() }
        let signals = installSignalHandlers()
        // The scan's stat cache is saved while the tasks run (a one-input change spent about
        // 1 ms on it before starting the first task); again after them in case they changed it.
        let saving = DispatchGroup()
        DispatchQueue.global().async(group: saving) { try? self.statCache.save(trash: self.project.storeRoot + "/tmp") }
        let plan = builder.run()
        saving.wait()
        removeSignalHandlers(signals)
        Stats.mark("tasks")
        if let dirty, var p = record.provenance, var g = p.git {
            (g.dirty, g.dirtyNote) = dirty.outcome
            p.git = g
            record.provenance = p
        }
        let (reports, interrupted) = builder.scheduler.sync { (builder.reports, builder.interrupted) }
        if let note = runner.isolationNote, plan.outcomes.contains(where: { $0 != .skipped }) { observer?(.warning(note)) }
        // Every key entry is on disk before the links and state that trust it: the group commit's
        // last fsyncs run on another thread, which then moves the latest links and writes the
        // state and memo, while the record and report, which trust none, are written here.
        let recorder = RunRecorder(scan: scan, store: store, project: project, statePath: statePath, memoPath: memoPath)
        let committing = Slots<Error>(count: 1)
        // The state and memo to write are computed on a thread of their own while the fsyncs run
        // (a one-input change of 1,000 tasks: 4-5 ms that came after them); only the writes wait.
        // A thread, not a pool item: the drain's pool thread waits for it.
        let prepared = Slots<RunRecorder.Prepared>(count: 1), preparing = DispatchSemaphore(value: 0)
        let ahead = reports.contains { $0?.status == .ran }
        if ahead {
            Thread {
                prepared[0] = recorder.prepare(reports: reports, syncProblems: [])
                preparing.signal()
            }.start()
        }
        let syncing = keys.drainInBackground { problems in
            if ahead { preparing.wait() }
            let linksRight = recorder.updateLinks(reports: reports, syncProblems: problems)
            do {
                if ahead, problems.isEmpty, let p = prepared[0] {
                    try recorder.commit(p, reports: reports, linksRight: linksRight)
                } else {
                    try recorder.commit(reports: reports, syncProblems: problems, linksRight: linksRight)
                }
            } catch { committing[0] = error }
        }
        try? statCache.save(trash: project.storeRoot + "/tmp")
        record.estimate = estimate(reports: reports, plan: plan, jobs: options.jobs)
        do { try recorder.record(&record, reports: reports, plan: plan, interrupted: interrupted, started: t0) } catch {
            _ = syncing.wait()   // nothing of this run is left moving links after it
            throw error
        }
        // If the store could not be synced, this run's new results are left out of the state
        // too: they run again next time.
        let syncProblems = syncing.wait()
        Stats.mark("sync")
        for problem in syncProblems { observer?(.warning(problem)) }
        if let remote {
            // Write through: every artifact this run made, blobs first, then its key entry.
            if syncProblems.isEmpty && writeThrough {
                for i in scan.included {
                    guard let r = reports[i], r.status == .ran, let key = r.key, let art = r.artifact, let m = r.manifest else { continue }
                    remote.push(ActionEntry(key: key, artifact: art, manifest: m))
                }
            }
            if let problem = remote.unreachable { observer?(.warning(problem)) }
        }
        // After the estimate read the durations of the runs before this one.
        if record.estimate != nil { try? DurationLog.append(DurationLog.path(storeRoot: project.storeRoot, dag: graph.dagName), tasks: record.tasks) }
        if let error = committing[0] { throw error }
    }

    /// What the tasks this run executed (or would have, had a needed task not failed) were
    /// predicted to cost by the runs before it; nil when none executed (a no-op run reads no
    /// history).
    private func estimate(reports: [TaskReport?], plan: Plan, jobs: Int) -> CostEstimate.Recorded? {
        var stale: [(index: Int, key: Digest?)] = []
        for i in graph.nodes.indices {
            if let r = reports[i], [.ran, .failed, .interrupted].contains(r.status) {
                stale.append((i, r.key?.digest))
            } else if reports[i] == nil, plan.outcomes[i] == .skipped, lastScan?.included.contains(i) == true {
                stale.append((i, nil))
            }
        }
        guard stale.contains(where: { reports[$0.index]?.status == .ran || reports[$0.index]?.status == .failed }) else { return nil }
        return CostEstimate.Recorded(estimate(stale: stale, jobs: jobs))
    }

    private func estimate(stale: [(index: Int, key: Digest?)], jobs: Int) -> CostEstimate {
        let history = DurationLog.read(DurationLog.path(storeRoot: project.storeRoot, dag: graph.dagName),
                                       tasks: Set(stale.map { graph.nodes[$0.index].id.name }))
        return CostEstimate(graph: graph, stale: stale, history: history, jobs: jobs) { d in
            store.contains(d) ? store.seal(of: d)?.fileBytes : nil
        }
    }

    /// Writes `report.html` beside the run record (again after gates change the record).
    public func writeReport(_ record: RunRecord) throws {
        lock.lock()
        let s = lastScan
        lock.unlock()
        guard let s else { throw InternalError("writeReport before a run") }
        try RunRecorder(scan: s, store: store, project: project, statePath: statePath, memoPath: memoPath).writeReport(record)
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
        let b = builder
        if b == nil { interruptedEarly = true }
        lock.unlock()
        observer?(.warning("interrupted: stopping running tasks"))
        b?.interrupt()
    }

    public var wasInterrupted: Bool {
        lock.lock()
        let b = builder, early = interruptedEarly
        lock.unlock()
        return early || (b.map { b in b.scheduler.sync { b.interrupted } } ?? false)
    }
}

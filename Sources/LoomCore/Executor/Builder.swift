import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The second of the engine's three parts (ninja's Builder): runs the stale tasks of a scan
/// through the `TaskRunner`, commits their artifacts and queues their key entries.
///
/// Concurrency: one serial queue, the scheduler's, owns every piece of a run's mutable state
/// here (`digests`, `reports`, `running`, `interrupted`): tasks start on it, and completions are
/// posted back to it. The runner's waiter threads (small stacks) only hand an exit over to a
/// worker of the global pool, which checks the inputs, hashes and commits the output (normal
/// stack, any depth), and then posts the result to the queue.
final class Builder: @unchecked Sendable {   // mutable state confined to `scheduler`'s queue (see above)
    let scan: DependencyScan
    let project: Project
    let store: ArtifactStore & ActionCache
    let runner: TaskRunner
    let keys: GroupCommit
    let remote: RemoteTier?
    let options: RunOptions
    let runID: RunID
    let observer: (@Sendable (EngineEvent) -> Void)?
    let scheduler: Scheduler
    /// When the run started (uptime ns), for task start times.
    let t0: UInt64
    /// Which tasks the run includes (by node index): the plan's mask.
    let includedMask: [Bool]
    /// The environment tasks inherit, read once (ProcessInfo builds a new dictionary per call),
    /// when the first task starts: a no-op run never builds it. On the queue only.
    private lazy var baseEnvironment: [String: String] = ProcessInfo.processInfo.environment

    // On the queue only.
    private(set) var digests: [Digest?]
    private(set) var reports: [TaskReport?]
    private var running: [Int: RunningJob] = [:]
    private(set) var interrupted = false
    private var logDirectoryMade = false
    /// Tasks that run because their key changed, whose reasons are worked out once the task has
    /// started (`DependencyScan.changeReasons`), then kept for its later attempts and its report.
    private var explainAfterStart: [Int: KeyManifest] = [:]
    private var explained: [Int: [String]] = [:]

    var graph: TaskGraph { scan.graph }

    init(scan: DependencyScan, project: Project, store: ArtifactStore & ActionCache, runner: TaskRunner, keys: GroupCommit,
         remote: RemoteTier?, options: RunOptions, runID: RunID, observer: (@Sendable (EngineEvent) -> Void)?, t0: UInt64) {
        self.scan = scan
        self.project = project
        self.store = store
        self.runner = runner
        self.keys = keys
        self.remote = remote
        self.options = options
        self.runID = runID
        self.observer = observer
        self.t0 = t0
        var mask = [Bool](repeating: false, count: scan.graph.nodes.count)
        for i in scan.included { mask[i] = true }
        includedMask = mask
        // A local runner counts cpus as tokens of -j and memory against the machine's; a cluster
        // enforces them itself.
        let demands = runner.memoryBudget.map { _ in
            scan.graph.nodes.map { Scheduler.Demand(tokens: $0.resources.cpus ?? 1, memory: $0.resources.memoryBytes ?? 0) }
        }
        scheduler = Scheduler(plan: Plan(needs: scan.graph.nodes.map(\.needs), included: mask), jobs: options.jobs, keepGoing: options.keepGoing,
                              demands: demands, memoryBudget: runner.memoryBudget ?? .max)
        digests = Array(repeating: nil, count: scan.graph.nodes.count)
        reports = Array(repeating: nil, count: scan.graph.nodes.count)
    }

    /// Runs the plan to its end (blocks) and returns it with every outcome.
    func run() -> Plan {
        // On the queue (still idle), which owns the state it fills, as an interrupt expects.
        if let plan = scheduler.sync({ memoPlan ?? (memoTried ? nil : allFromMemo()) }) { return plan }
        return scheduler.run { i, done in self.startTask(i, done: done) }
    }

    /// Whether the memo proves every included task current (then `run` starts no task): tried
    /// once, before `run`, which then uses the outcome.
    func provedByMemo() -> Bool {
        scheduler.sync {
            memoTried = true
            memoPlan = allFromMemo()
            return memoPlan != nil
        }
    }

    // On the queue only: `provedByMemo`'s outcome.
    private var memoTried = false
    private var memoPlan: Plan?

    /// A no-op run: when the memo proves every included task current, they are all taken from it
    /// here, in topological order in one block on the queue, without the scheduler (a queue hop, a
    /// call record and a lock per task); otherwise nothing is touched and the scheduler takes
    /// each task as usual (a cache hit the same way, through `startTask`).
    private func allFromMemo() -> Plan? {
        guard scan.memo != nil, !interrupted else { return nil }
        // (Checking the proofs in parallel chunks, each need's artifact taken from its memo entry,
        // measured no faster: the time here is the reports, not the proofs.)
        let forced = Set(options.forced)
        var artifacts = digests
        var proofs: [(Int, BuildState.Record, [String: Double])] = []
        proofs.reserveCapacity(scan.included.count)
        for i in scan.included {
            let n = graph.nodes[i]
            guard let proof = scan.memoProof(i, upstream: n.needs.map { artifacts[$0] }, forced: forced.contains(n.id.name)) else { return nil }
            artifacts[i] = proof.record.artifact
            proofs.append((i, proof.record, proof.metrics))
        }
        let start = seconds(since: t0)
        var finished: [TaskReport] = []
        finished.reserveCapacity(proofs.count)
        for (i, record, metrics) in proofs {
            scan.countMemoHit(i)
            let r = memoReport(graph.nodes[i], record, metrics, start: start)
            reports[i] = r
            digests[i] = record.artifact
            finished.append(r)
        }
        observer?(.allCached(finished))
        var plan = Plan(needs: graph.nodes.map(\.needs), included: includedMask)
        plan.succeedAll()
        return plan
    }

    /// A task taken from the memo: cached, with the key, artifact and metrics the memo proved.
    private func memoReport(_ n: TaskNode, _ record: BuildState.Record, _ metrics: [String: Double], start: Double) -> TaskReport {
        var r = TaskReport(name: n.id.name, kind: n.kind, status: .cached)
        r.key = record.key
        r.artifact = record.artifact
        r.metrics = metrics
        r.start = start
        return r
    }

    /// Ctrl-C / SIGTERM (any thread): stop starting tasks and stop the running ones.
    func interrupt() {
        scheduler.async {
            self.interrupted = true
            for j in self.running.values { j.cancel() }
        }
        scheduler.stop()
    }

    private func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }

    /// On the queue: a cache hit finishes at once; a stale task starts its first attempt.
    private func startTask(_ i: Int, done: @escaping @Sendable (Bool) -> Void) {
        let n = graph.nodes[i]
        let upstream = n.needs.map { digests[$0] }
        let forced = options.forced.contains(n.id.name)
        if let hit = scan.memoHit(i, upstream: upstream, forced: forced) {
            finish(i, memoReport(n, hit.record, hit.metrics, start: seconds(since: t0)), ok: true, digest: hit.record.artifact, done: done)
            return
        }
        var inputs: [String: Digest] = [:]
        for (j, d) in zip(n.needs, upstream) { inputs[graph.nodes[j].id.name] = d }
        let m = scan.manifest(n, inputs: inputs)
        let (staleness, key, cached, diffDeferred) = scan.explain(n, m, unknown: [], forced: forced, deferDiff: true)
        let stale = staleness.isStale || diffDeferred
        var r = TaskReport(name: n.id.name, kind: n.kind, status: .cached, reasons: staleness.reasons.map(\.description))
        r.key = key
        r.manifest = m
        r.start = seconds(since: t0)
        // Any way out but running the task: its reasons now.
        func explainNow() { if diffDeferred { r.reasons = scan.changeReasons(n, m).map(\.description) } }
        if stale, !forced, let key, let remote, let entry = remote.pull(key) {
            explainNow()
            // The remote had this key: its artifact was downloaded, checked and committed.
            r.manifest = nil
            r.artifact = entry.artifact
            r.reasons.append(TaskReport.servedByRemote)
            r.metrics = Engine.readMetrics(store.location(of: entry.artifact))
            finish(i, r, ok: true, digest: entry.artifact, done: done)
            return
        }
        if stale && options.pullOnly {
            explainNow()
            r.status = .skipped
            r.reasons.append(remote == nil ? "no remote cache" : "not in the remote cache (loom pull runs nothing)")
            r.manifest = nil
            finish(i, r, ok: false, digest: nil, done: done)
            return
        }
        if let cached, !stale {
            // A cache hit's manifest is the one stored with its key; the record keeps only the key.
            r.manifest = nil
            r.artifact = cached
            r.metrics = Engine.readMetrics(store.location(of: cached))
            finish(i, r, ok: true, digest: cached, done: done)
            return
        }
        if interrupted {
            explainNow()
            r.status = .skipped
            finish(i, r, ok: false, digest: nil, done: done)
            return
        }
        r.log = "logs/\(n.id.name).log"
        if diffDeferred { explainAfterStart[i] = m }
        attempt(i, 1, r, manifest: m, done: done)
    }

    /// On the queue: starts attempt `number` of task `i`.
    private func attempt(_ i: Int, _ number: Int, _ report: TaskReport, manifest m: KeyManifest, done: @escaping @Sendable (Bool) -> Void) {
        let n = graph.nodes[i]
        var r = report
        r.attempts = number
        if let e = explained[i], r.reasons.isEmpty { r.reasons = e }
        let logPath = project.runs.logPath(runID, task: n.id.name)
        // A task to explain after it starts is announced then, with its reasons.
        let explainLater = explainAfterStart.removeValue(forKey: i)
        if explainLater == nil { observer?(.started(r, attempt: number)) }
        func announceExplained() {
            guard let m = explainLater else { return }
            let reasons = scan.changeReasons(n, m).map(\.description)
            explained[i] = reasons
            r.reasons = reasons
            observer?(.started(r, attempt: number))
        }
        let work: String
        let job: Job
        var views: InputLinks.Views?
        let inputs = n.needs.map { (graph.nodes[$0].id.name, digests[$0], scan.memo?.entries[$0]?.seal) }
        do {
            if !logDirectoryMade {
                options.beforeFirstTask?()
                try project.runs.makeLogDirectory(runID)
                logDirectoryMade = true
            }
            work = try store.makeStaging(label: n.id.name)
            (job, views) = try makeJob(n, attempt: number, work: work, logPath: logPath, manifest: m)
            if number > 1 {
                let of = number <= n.retries + 1 ? "of \(n.retries + 1)" : "(the one before was lost to the cluster)"
                appendLog(logPath, "\n--- loom: attempt \(number) \(of) ---\n")
            }
        } catch {
            announceExplained()
            r.status = .failed
            r.error = "\(error)"
            finish(i, r, ok: false, digest: nil, done: done)
            return
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let attemptReport = r, madeViews = views
        let handle = runner.start(job) { outcome in
            // On the runner's waiter thread: hand over to a worker at once.
            DispatchQueue.global().async {
                self.completed(i, number, attemptReport, outcome, started: started, work: work, inputs: inputs, views: madeViews,
                               manifest: m, logPath: logPath, done: done)
            }
        }
        running[i] = handle
        // The completion is posted to this queue: it cannot be handled before this returns.
        announceExplained()
        if interrupted { handle.cancel() }
    }

    /// On a worker: checks the inputs, commits a success, then posts the result to the queue.
    private func completed(_ i: Int, _ number: Int, _ report: TaskReport, _ outcome: JobOutcome, started: UInt64, work: String,
                           inputs: [(String, Digest?, NoopMemo.Seal?)], views: InputLinks.Views?, manifest m: KeyManifest, logPath: String,
                           done: @escaping @Sendable (Bool) -> Void) {
        let n = graph.nodes[i]
        var r = report
        r.duration = seconds(since: started)
        // A task with many inputs has its output committed and made durable while they are
        // checked (`GroupCommit.syncAhead`); its key entry waits for the check.
        var committed: Result<Digest, Error>?
        if outcome == .succeeded && inputs.count >= Self.syncAheadFrom {
            committed = Result { try commit(n, work: work, manifest: m) }
            if case .success(let d) = committed { keys.syncAhead(d) }
        }
        if let damage = checkInputs(inputs) ?? views?.changed().map({
            "the task's view of input '\($0)' under $LOOM_IN was changed (an entry added to it, removed or replaced, by the task or by hand): "
                + "its output is not kept, and $LOOM_IN is made again next time"
        }) {
            // Whatever the task's own outcome: it wrote into the store. An output already
            // committed stays unreferenced (no key entry names it).
            if case .success(let d) = committed { keys.giveUp(d) }
            discardAttempt(work)
            appendLog(logPath, "loom: \(damage)\n")
            r.status = .failed
            r.error = damage
            let failed = r
            scheduler.async { self.running[i] = nil; self.finish(i, failed, ok: false, digest: nil, done: done) }
            return
        }
        if outcome == .succeeded {
            do {
                let digest = try committed?.get() ?? commit(n, work: work, manifest: m)
                keys.add(ActionEntry(key: r.key!, artifact: digest, manifest: m))
                r.status = .ran
                r.artifact = digest
                r.metrics = Engine.readMetrics(store.location(of: digest))
                let ran = r
                scheduler.async { self.running[i] = nil; self.finish(i, ran, ok: true, digest: digest, done: done) }
            } catch {
                discardAttempt(work)
                appendLog(logPath, "loom: \(error)\n")
                r.status = .failed
                r.error = "\(error)"
                let failed = r
                scheduler.async { self.running[i] = nil; self.finish(i, failed, ok: false, digest: nil, done: done) }
            }
            return
        }
        discardAttempt(work)
        r.outcome = outcome.description
        let ended = r
        scheduler.async {
            self.running[i] = nil
            var r = ended
            var lost = false
            if case .lost = outcome { lost = true }
            if (number <= n.retries || (lost && number <= n.retries + Self.lostRetries)) && !self.interrupted && outcome != .cancelled {
                // Back off 1 s, 2 s, 4 s ... (at most 30 s) before the next attempt.
                let delay = min(30, pow(2, Double(number - 1)))
                self.scheduler.async(after: delay) { self.attempt(i, number + 1, ended, manifest: m, done: done) }
                return
            }
            // Stopped by Ctrl-C / SIGTERM: interrupted, not failed.
            r.status = outcome == .cancelled && self.interrupted ? .interrupted : .failed
            self.finish(i, r, ok: false, digest: nil, done: done)
        }
    }

    /// Attempts lost to the cluster (node failure, preemption) are retried this many times beyond
    /// the task's own `retries`: the task did not fail.
    static let lostRetries = 2

    /// On the queue.
    private func finish(_ i: Int, _ report: TaskReport, ok: Bool, digest: Digest?, done: @Sendable (Bool) -> Void) {
        var r = report
        if r.reasons.isEmpty, let e = explained[i] { r.reasons = e }
        reports[i] = r
        digests[i] = digest
        observer?(.finished(r))
        done(ok)
    }

    private func makeJob(_ n: TaskNode, attempt: Int, work: String, logPath: String, manifest m: KeyManifest) throws -> (Job, InputLinks.Views?) {
        // The staging directory itself is $LOOM_OUT; inputs and the job file sit beside it.
        // $LOOM_IN is the task's own directory of views of its inputs (links for large ones),
        // kept between runs: a rerun makes again only the entries whose artifact changed (a join
        // of 1,000 tasks made 1,000 new links per run). See `InputLinks`.
        // (A DAG file named `...yaml` has the DAG name `..`: never a path component here.)
        let dag = graph.dagName == "." || graph.dagName == ".." || graph.dagName.isEmpty ? "_" + graph.dagName : graph.dagName
        let out = work, inDir = project.storeRoot + "/inputs/" + dag + "/" + n.id.name
        var needs: [InputLinks.Need] = []
        needs.reserveCapacity(n.needs.count)
        // The memo's seal of a need's artifact, when it names this artifact, the scan found it
        // holding, and nothing since can have given the artifact other files (the need did not
        // run, nothing was evicted): a view is checked against its inodes. Otherwise the store's.
        let fresh = store.evictions == scan.evictionsAtScan
        for j in n.needs {
            let d = digests[j]!, known = scan.memo?.entries[j]?.seal
            let seal = fresh && known?.digest == d && reports[j]?.status != .ran ? known?.entries : nil
            needs.append(InputLinks.Need(name: graph.nodes[j].id.name, digest: d, seal: seal))
        }
        let views = n.needs.isEmpty ? nil : try InputLinks.update(inDir, needs: needs, store: store, trash: project.storeRoot + "/tmp")
        var env = baseEnvironment
        env["LOOM_OUT"] = out
        env["LOOM_IN"] = inDir
        env["LOOM_TASK"] = n.id.name
        env["LOOM_ROOT"] = project.root
        let arguments: [String]
        if n.kind == KindRegistry.shell {
            for (k, v) in n.env { env[k] = v }
            arguments = ["/bin/sh", "-c", n.renderedCommand ?? ""]
        } else {
            guard !options.builtinLauncher.isEmpty else { throw InternalError("no launcher for built-in kinds") }
            let inputs = needs.map { (name: $0.name, path: store.location(of: $0.digest)) }
            var invocation = BuiltinInvocation(kind: n.kind, params: n.params, inputs: inputs, output: out, root: project.root, files: n.files,
                                               cpus: n.resources.cpus)
            invocation.layouts = n.layouts
            try FileSystem.writeAtomically(work + ".job.json", invocation.json.encoded(pretty: true))
            arguments = options.builtinLauncher + [work + ".job.json"]
        }
        var job = Job(task: n.id, attempt: attempt, arguments: arguments, environment: env,
                      workingDirectory: project.root, logPath: logPath, timeout: n.timeout, resources: n.resources,
                      fence: Fence(readOnly: project.storeRoot, writable: out))
        job.dag = graph.dagName
        if runner.wantsPortableTasks { job.portable = try portable(n, manifest: m) }
        return (job, views)
    }

    /// Task `n` for a node that sees none of this machine's files: its inputs by key and artifact,
    /// its declared files by digest and size (files only: a declared directory cannot travel).
    private func portable(_ n: TaskNode, manifest m: KeyManifest) throws -> PortableTask {
        var inputs: [PortableTask.Input] = []
        for j in n.needs {
            guard let key = reports[j]?.key, let d = digests[j] else { throw InternalError("input '\(graph.nodes[j].id.name)' has no key") }
            inputs.append(PortableTask.Input(name: graph.nodes[j].id.name, key: key, artifact: d))
        }
        var files: [PortableTask.File] = []
        for (path, digest) in m.files.sorted(by: { $0.key < $1.key }) {
            var st = stat()
            guard stat(project.root + "/" + path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                throw KindError("declared file '\(path)' is not a regular file: without a shared file system only files travel to the nodes (declare the files inside a directory)")
            }
            files.append(PortableTask.File(path: path, digest: digest, size: Int64(st.st_size)))
        }
        let shell = n.kind == KindRegistry.shell
        return PortableTask(task: n.id.name, manifest: m, inputs: inputs, files: files, command: shell ? (n.renderedCommand ?? "") : nil,
                            env: shell ? n.env : [:], params: shell ? [:] : n.params)
    }

    /// Checks declared outputs and moves the output into the store (its key entry is queued
    /// once its inputs are known undamaged).
    private func commit(_ n: TaskNode, work: String, manifest m: KeyManifest) throws -> Digest {
        for o in n.outputs where !FileSystem.exists(work + "/" + o) {
            throw KindError("declared output '\(o)' was not written to $LOOM_OUT")
        }
        discardSidecars(work)
        return try store.commit(staging: work)
    }

    /// From this many inputs on, a task's output is synced while its inputs are checked (with
    /// fewer, the check is shorter than the fsyncs it would let a task pay alone, outside the
    /// group commit's batches).
    static let syncAheadFrom = 64

    /// After a task: whether its inputs are still the bytes they were (their seals, re-hashed if
    /// a seal does not hold). A damaged input is evicted, never served again, and named.
    private func checkInputs(_ inputs: [(String, Digest?, NoopMemo.Seal?)]) -> String? {
        var problems: [String] = []
        // The memo's seal of an input, when it names this artifact, saves reading its seal file;
        // those are checked first, in parallel chunks (a join of 1,000 tasks: 2,000 `fstatat`s).
        let quick = Slots<Bool>(count: inputs.count)
        Chunks.forEach(inputs.count, size: 128) { range in
            for k in range {
                let (_, digest, known) = inputs[k]
                if let digest, let known, known.digest == digest { quick[k] = known.holds(in: store) }
            }
        }
        for (k, (name, digest, _)) in inputs.enumerated() {
            // One that no longer holds (or has no seal in the memo) takes the store's way.
            guard let digest, quick[k] != true else { continue }
            guard store.condition(of: digest, repair: false) != .intact else { continue }
            let files = store.damagedFiles(digest)
            _ = store.condition(of: digest, repair: true)
            let what = files.isEmpty || files == [""] ? "its files" : files.map { "'\($0)'" }.joined(separator: ", ")
            problems.append("input '\(name)' (\(what))")
        }
        guard !problems.isEmpty else { return nil }
        return "the task changed \(problems.joined(separator: " and ")) under $LOOM_IN; tasks must not write to their inputs. "
            + "The damaged artifact was evicted from the store and runs again next time"
    }

    /// Removes what sits beside a staging directory (the job file).
    private func discardSidecars(_ work: String) {
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
}

import ArgumentParser
import Foundation
import LoomCore
import LoomTasks

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the stale tasks of a DAG (all tasks, or TASKs and what they need).")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var dag: DAGOptions
    @Argument(help: "Run only these tasks and what they need.", completion: Completion.taskNames) var tasks: [String] = []
    @Option(name: .customShort("j", allowingJoined: true), help: "Tasks to run at once (default: the number of cores); -j 4 or -j4.") var j: Int?
    @Option(help: "Rerun this task even if it is up to date (repeatable).") var force: [String] = []
    @Flag(help: "After a failure, keep running everything not downstream of it.") var keepGoing = false
    @Flag(help: "Show what would run and why; run nothing.") var dryRun = false
    @Flag(help: "If another run holds the project lock, wait for it instead of exiting with code 4.") var wait = false
    @Option(help: "With --wait: give up after this many seconds.") var waitTimeout: Double?
    @Option(help: "A name for this run.") var name: String?
    @Option(help: "A tag for this run (repeatable).") var tag: [String] = []
    @Flag(name: .shortAndLong, help: "Print only errors and a one-line summary.") var quiet = false
    @Option(help: ArgumentHelp("Fail the run (exit 5) if this holds afterwards, e.g. 'evaluate.auc < 0.80' (repeatable).", valueName: "task.metric OP value"))
    var failIf: [String] = []
    @Option(help: ArgumentHelp("Fail the run (exit 5) if the metric dropped by more than this since the last successful run of the DAG with the same params (or --baseline), e.g. 'evaluate.auc > 0.01'.", valueName: "task.metric OP value"))
    var failIfDrop: [String] = []
    @Option(help: ArgumentHelp("With --fail-if-drop: compare with this run (an id, a unique prefix, a name, 'last~N') instead of the last successful run of the DAG with the same params.", valueName: "run"))
    var baseline: String?
    @Option(help: "Read through and write through this remote cache (default: default_remote in loom.yaml).") var remote: String?
    @Flag(help: "Do not use a remote cache, even the default one.") var noRemote = false
    @Flag(help: "Use the remote cache but do not upload this run's artifacts.") var noPush = false
    @Flag(help: "Exit 8 instead of going on locally if the remote cache cannot be used.") var remoteRequired = false
    @Option(help: "Where tasks run: local or slurm (default: executor in loom.yaml, else local). With slurm, -j is the jobs in flight (default 32).")
    var executor: String?

    func validate() throws {
        if noRemote && (remote != nil || remoteRequired) { throw ValidationError("--no-remote cannot be combined with --remote or --remote-required") }
        if let j, j < 1 { throw ValidationError("-j must be at least 1, got \(j)") }
        if let e = executor, !ProjectFile.executors.contains(e) {
            throw ValidationError("--executor must be one of \(ProjectFile.executors.joined(separator: ", ")), got '\(e)'")
        }
        if let t = waitTimeout, t < 0 { throw ValidationError("--wait-timeout must be >= 0") }
        if baseline != nil && failIfDrop.isEmpty { throw ValidationError("--baseline is the run --fail-if-drop compares with; give --fail-if-drop too") }
        for g in failIf + failIfDrop where MetricGate(g, isDrop: false) == nil {
            throw ValidationError("cannot read gate '\(g)': expected 'task.metric OP number' with OP one of < <= > >= == !=")
        }
    }

    func run() throws { try request.run() }

    var request: RunRequest {
        RunRequest(directories: project.directory, dag: dag.dag, params: dag.params, tasks: tasks, jobs: j, force: force,
                   keepGoing: keepGoing, dryRun: dryRun, wait: wait, waitTimeout: waitTimeout, name: name, tags: tag,
                   quiet: quiet, failIf: failIf, failIfDrop: failIfDrop, baseline: baseline, remote: remote, noRemote: noRemote, noPush: noPush,
                   remoteRequired: remoteRequired, executor: executor)
    }
}

/// What `loom run` was asked, however the command line was read (`Run`, or `FastArguments`).
struct RunRequest: Equatable {
    /// `-C` values, in order.
    var directories: [String] = []
    var dag: String
    var params: [String] = []
    var tasks: [String] = []
    var jobs: Int?
    var force: [String] = []
    var keepGoing = false
    var dryRun = false
    var wait = false
    var waitTimeout: Double?
    var name: String?
    var tags: [String] = []
    var quiet = false
    var failIf: [String] = []
    var failIfDrop: [String] = []
    var baseline: String?
    var remote: String?
    var noRemote = false
    var noPush = false
    var remoteRequired = false
    var executor: String?
    /// `loom rerun`: the run repeated (recorded as `rerunOf`); its -P values are single values,
    /// never a sweep (a past string param may hold a comma).
    var rerunOf: String?

    func run() throws {
        let console = Console()
        console.quiet = quiet
        let location = try ProjectRoot.locate(directories)
        if params.isEmpty && rerunOf == nil {
            // No -P: one point, and no sweep grid to build (0.03 ms of first-use generic lookups).
            let status = try runOnce(location, overrides: [], sweep: nil, console: console)
            if status != .ok { throw CLIExit(status) }
            return
        }
        let points = rerunOf != nil ? [try DAGOptions.overrides(params)] : try Sweep.points(try DAGOptions.overrides(params))
        let sweepID = points.count > 1 ? RunID.new(at: Date()).value : nil
        var worst = ExitStatus.ok
        for (n, overrides) in points.enumerated() {
            if let sweepID {
                console.progress("sweep \(sweepID) point \(n + 1)/\(points.count): " + overrides.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
            }
            let status = try runOnce(location, overrides: overrides, sweep: sweepID, console: console)
            if status != .ok && (worst == .ok || status == .interrupted) { worst = status }
            if status == .interrupted || status == .lockBusy { break }
        }
        if worst != .ok { throw CLIExit(worst) }
    }


    private func runOnce(_ location: ProjectRoot, overrides: [(name: String, value: String)], sweep: String?, console: Console) throws -> ExitStatus {
        let project = location.project
        // The lock first, if it is free, so that the memo and seals are read while the DAG loads.
        let prelude = dryRun ? nil : location.dagFile(dag).flatMap {
            RunPrelude.start(project: project, dagName: GraphBuilder.dagName(project.display($0)), command: ProcessArguments.commandLine,
                             checkSeals: self.tasks.isEmpty)
        }
        var handedOver = false
        defer { if !handedOver { prelude?.release() } }
        let graph = try loadGraph(location, dag: dag, params: overrides.map { "\($0.name)=\($0.value)" }, console: console)
        let tasks = try taskNames(self.tasks, in: graph, what: "target")
        let force = try taskNames(self.force, in: graph, what: "--force")
        let gates = failIf.compactMap { MetricGate($0, isDrop: false) } + failIfDrop.compactMap { MetricGate($0, isDrop: true) }
        let history = gates.isEmpty ? [] : RunQuery(store: project.runs).all().filter { $0.dagName == graph.dagName }
        let baselineRun = try GateCheck.baseline(baseline, graph: graph, query: RunQuery(store: project.runs))
        if !gates.isEmpty {
            let check = GateCheck(graph: graph, targets: tasks, history: history)
            for w in try check.problems(gates) { console.runLine("warning: \(w)", error: true) }
        }
        let tier = !noRemote && !dryRun ? try RemoteSetup.open(location, name: remote, required: remoteRequired, console: console) : nil
        let (runner, runnerJobs) = dryRun ? (ProcessRunner(), 1) : try makeRunner(location, remote: tier)
        let engine = try Engine(project: project, graph: graph, runner: runner, store: prelude?.store)
        if let tier {
            engine.remote = tier
            engine.writeThrough = !noPush
        }
        if dryRun {
            let (reports, estimate) = try engine.statusWithEstimate(targets: tasks, forced: force, jobs: jobs ?? defaultJobs(location.file, executor: executor))
            printStatus(reports, console: console, verb: "would run", estimate: estimate)
            return .ok
        }
        var options = RunOptions()
        options.jobs = jobs ?? runnerJobs
        options.keepGoing = keepGoing
        options.targets = tasks
        options.forced = force
        options.builtinLauncher = [selfExecutable(), "exec-builtin"]
        options.name = name
        options.tags = tags
        options.waitForLock = wait
        options.lockTimeout = waitTimeout
        options.command = ProcessArguments.commandLine
        options.sweep = sweep
        options.loomVersion = LoomVersion.number
        options.loomBuild = LoomVersion.buildID
        options.rerunOf = rerunOf
        let progress = LiveProgress(total: tasks.isEmpty ? graph.nodes.count : graph.closure(of: tasks.compactMap(graph.index(of:))).count, console: console)
        engine.observer = { event in
            report(event, console: console)
            progress.update(event)
        }
        defer { progress.stop(); console.status("") }
        var record: RunRecord
        do {
            handedOver = true
            record = try engine.run(options, prelude: prelude)
        } catch let busy as ProjectLock.Busy {
            console.err("error: \(busy.description)")
            return .lockBusy
        }
        if !gates.isEmpty && record.status == .succeeded {
            // Read again: a run that waited for the lock comes after the one it waited for.
            let previous = baselineRun ?? GateCheck.lastComparable(record, in: RunQuery(store: project.runs).all())
            if previous == nil && gates.contains(where: \.isDrop) {
                console.err("warning: no earlier successful run of \(graph.dagPath) with the same params: --fail-if-drop had nothing to compare with")
            }
            if let previous {
                for g in gates where g.isDrop && previous.metric(g.metric) == nil {
                    console.err("warning: gate '\(g.text)': run \(previous.id), the yardstick, has no metric '\(g.metric)': nothing to compare with")
                }
            }
            record.gateFailures = gates.compactMap { $0.check(record, previous: previous) }
            if !record.gateFailures.isEmpty {
                record.status = .gateFailed
                try project.runs.save(record)
                try engine.writeReport(record)
            }
        }
        let status = finish(record, project: project, console: console)
        KeptUntilExit.keep((engine, record))
        return status
    }

    /// The runner `--executor` (or `executor:` in loom.yaml) names, and -j (or its default for the
    /// runner, asked only when -j is not given: the cores take reading cgroup files).
    /// Without a shared file system (`slurm.shared_fs: false`), tasks travel through `remote`.
    private func makeRunner(_ location: ProjectRoot, remote tier: RemoteTier?) throws -> (TaskRunner, Int) {
        let file = location.file
        guard (executor ?? file.executor) == "slurm" else { return (ProcessRunner(), jobs ?? defaultJobs(file, executor: executor)) }
        var s = SlurmSettings(loom: file.slurm.loom ?? selfExecutable(), directory: location.project.storeRoot + "/slurm")
        s.partition = file.slurm.partition
        s.account = file.slurm.account
        s.options = file.slurm.options
        if !file.slurm.sharedFS {
            guard let tier, let r = file.remote(remote) else {
                throw CLIExit(.usage, "slurm.shared_fs is false in \(ProjectFile.name): jobs need a remote cache to fetch inputs from and push outputs to "
                              + "(add one with 'loom remote add', and do not pass --no-remote)")
            }
            s.remote = tier
            s.remoteLocation = PortableTask.RemoteLocation(url: r.url, endpoint: r.endpoint, region: r.region)
            s.nodeDirectory = file.slurm.nodeDirectory ?? "/tmp"
        }
        return (SlurmRunner(settings: s), jobs ?? defaultJobs(file, executor: "slurm"))
    }

    private func finish(_ r: RunRecord, project: Project, console: Console) -> ExitStatus {
        let failed = r.tasks.filter { $0.status == .failed }
        let runDir = project.display(project.runs.directory(r.id))
        for f in failed {
            var msg = console.paint("error:", .red, error: true) + " task '\(f.name)' (kind \(f.kind)) failed: \(f.error ?? f.outcome ?? "failed")"
            if let log = f.log {
                msg += "\n  log: \(runDir)/\(log)"
                let lines = Console.tail(project.runs.directory(r.id) + "/" + log, 10)
                if !lines.isEmpty { msg += "\n" + lines.map { "  | " + $0 }.joined(separator: "\n") }
            }
            console.runLine(msg, error: true)
        }
        for g in r.gateFailures { console.runLine(console.paint("error:", .red, error: true) + " \(g)", error: true) }
        let word = console.paint(r.status.rawValue, r.status == .succeeded ? .green : .red, error: r.status != .succeeded)
        let summary = "loom: \(word): \(r.count(.ran)) ran, \(r.count(.cached)) cached, \(r.count(.failed)) failed, "
            + "\(r.count(.skipped)) skipped in \(Console.seconds(r.duration)) (run \(r.id.value))"
        console.runLine(summary, error: r.status != .succeeded)
        switch r.status {
        case .interrupted: return .interrupted
        case .failed: return .taskFailed
        case .gateFailed: return .gateFailed
        default: return .ok
        }
    }
}

/// Parameter sweeps: `-P k=3,4,5 -P seed=1,2` is the grid of every combination, in the order given
/// (the last -P varies fastest). A value in brackets or braces is one list or map, never a sweep.
enum Sweep {
    static func points(_ overrides: [(name: String, value: String)]) throws -> [[(name: String, value: String)]] {
        var grid: [[(name: String, value: String)]] = [[]]
        for o in overrides {
            let isStructured = o.value.hasPrefix("[") || o.value.hasPrefix("{") || o.value.hasPrefix("\"") || o.value.hasPrefix("'")
            let values = isStructured || !o.value.contains(",") ? [o.value] : o.value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if o.value.isEmpty { throw ValidationError("-P \(o.name)= has no value: write -P \(o.name)=VALUE (an empty string: -P '\(o.name)=\"\"')") }
            if values.contains(where: \.isEmpty) { throw ValidationError("-P \(o.name)=\(o.value): an empty value in the sweep (values are separated by single commas)") }
            grid = grid.flatMap { prefix in values.map { prefix + [(o.name, $0)] } }
        }
        return grid
    }
}

/// The live line on a TTY: how many tasks are done and which are running, each with its elapsed
/// time (`[3/10] running: train 1m05s, clv 12s`), redrawn every second while any runs so that a
/// long task never looks frozen.
final class LiveProgress: @unchecked Sendable {   // all vars under `lock`
    private let lock = NSLock()
    private let total: Int
    private let console: Console
    private var done = 0
    private var running: [(name: String, since: UInt64)] = []
    private var timer: DispatchSourceTimer?

    init(total: Int, console: Console) {
        self.total = total
        self.console = console
    }

    deinit { timer?.cancel() }

    func update(_ e: EngineEvent) {
        guard console.showsStatus else { return }
        lock.lock()
        let now = DispatchTime.now().uptimeNanoseconds
        switch e {
        case let .started(r, _): if !running.contains(where: { $0.name == r.name }) { running.append((r.name, now)) }
        case let .finished(r):
            running.removeAll { $0.name == r.name }
            done += 1
        case let .allCached(rs): done += rs.count
        case .warning: break
        }
        if timer == nil && !running.isEmpty {
            let t = DispatchSource.makeTimerSource(queue: .global())
            t.schedule(deadline: .now() + 1, repeating: 1)
            t.setEventHandler { [weak self] in self?.redraw() }
            t.resume()
            timer = t
        }
        let line = Self.line(done: done, total: total, running: running, now: now)
        lock.unlock()
        console.status(line)
    }

    /// Stops the redraws (before the line is cleared for good).
    func stop() {
        lock.lock()
        timer?.cancel()
        timer = nil
        running = []
        lock.unlock()
    }

    /// Under the lock, so that no redraw lands after `stop` (lock order: this one, then the console's).
    private func redraw() {
        lock.lock(); defer { lock.unlock() }
        guard timer != nil, !running.isEmpty else { return }
        console.status(Self.line(done: done, total: total, running: running, now: DispatchTime.now().uptimeNanoseconds))
    }

    static func line(done: Int, total: Int, running: [(name: String, since: UInt64)], now: UInt64) -> String {
        "[\(done)/\(total)]" + (running.isEmpty ? "" : " running: " + running.map { "\($0.name) \(elapsed(Double(now - $0.since) / 1e9))" }.joined(separator: ", "))
    }

    /// `7s`, `1m05s`, `2h03m`.
    static func elapsed(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + (s % 60 < 10 ? "0" : "") + "\(s % 60)s" }
        return "\(s / 3600)h" + ((s % 3600) / 60 < 10 ? "0" : "") + "\((s % 3600) / 60)m"
    }
}

/// One console line per task event.
func report(_ e: EngineEvent, console: Console) {
    switch e {
    case let .started(r, attempt):
        let why = r.reasons.isEmpty ? "" : "  (\(r.reasons.joined(separator: "; ")))"
        let retry = attempt > 1 ? " attempt \(attempt)" : ""
        console.progress(console.paint("run     ", .cyan) + " \(r.name)\(retry)\(why)")
    case let .finished(r):
        switch r.status {
        case .cached:
            // Downloaded from the remote cache instead of run: say so, with why it was stale here.
            if let i = r.reasons.firstIndex(of: TaskReport.servedByRemote) {
                let why = r.reasons[..<i].joined(separator: "; ")
                console.progress(console.paint("cached  ", .dim) + " \(r.name)  (remote" + (why.isEmpty ? ")" : ": \(why))"))
            } else {
                console.progress(console.paint("cached  ", .dim) + " \(r.name)")
            }
        case .ran: console.progress(console.paint("done    ", .green) + " \(r.name)  \(Console.seconds(r.duration))")
        case .failed: console.progress(console.paint("FAILED  ", .red) + " \(r.name)  \(r.error ?? r.outcome ?? "")")
        default: break
        }
    case let .allCached(rs):
        // The lines `finished` gives a cached task, with one write (a no-op of a 200-task chain
        // made 200 writes).
        let word = console.paint("cached  ", .dim)
        console.progress(lines: rs.map { word + " " + $0.name })
    case let .warning(w):
        console.runLine(console.paint("warning:", .yellow, error: true) + " \(w)", error: true)
    }
}

/// Prints status / dry-run reports: one line per task, reasons indented below stale ones.
/// Tasks at once when `-j` is not given: the machine's cores locally; on Slurm, jobs in flight.
func defaultJobs(_ file: ProjectFile, executor: String? = nil) -> Int {
    (executor ?? file.executor) == "slurm" ? 32 : Machine.processors()
}

func printStatus(_ reports: [TaskReport], console: Console, verb: String, estimate: CostEstimate? = nil) {
    // One write for all the lines: a line per write(2) was a fifth of `loom status` on 1,000 tasks.
    var text = ""
    let upToDate = console.paint("up to date", .green) + "  ", stale = console.paint(Console.pad(verb, 10), .yellow) + "  "
    for r in reports {
        if r.status == .upToDate {
            text += upToDate + r.name + "\n"
        } else {
            text += stale + r.name + "\n"
            for reason in r.reasons { text += "              - \(reason)\n" }
        }
    }
    let staleCount = reports.filter { $0.status == .stale }.count
    text += "\(reports.count - staleCount) up to date, \(staleCount) stale\n"
    if let estimate { for line in estimateLines(estimate) { text += line + "\n" } }
    console.out(text)
}

/// `loom status` and `--dry-run`: what running the stale tasks will cost (see `CostEstimate`).
func estimateLines(_ e: CostEstimate) -> [String] {
    let unknown = e.unknown
    guard unknown.count < e.tasks.count else {
        return ["estimate: no stale task has run before (no history of durations yet)"]
    }
    var first = "estimate: about \(Console.seconds(e.seconds)) with -j \(e.jobs)"
    if e.criticalPath.count > 1 {
        let path = e.criticalPath.count <= 6 ? e.criticalPath : Array(e.criticalPath.prefix(2)) + ["..."] + Array(e.criticalPath.suffix(3))
        first += " (critical path \(Console.seconds(e.criticalSeconds)): \(path.joined(separator: " -> ")))"
    }
    if let b = e.bytes { first += "; the store grows by up to \(bytes(b))" }
    var out = [first]
    if !unknown.isEmpty {
        let shown = unknown.count <= 5 ? unknown.joined(separator: ", ") : unknown.prefix(5).joined(separator: ", ") + " and \(unknown.count - 5) more"
        out.append("          no history for \(unknown.count) task\(unknown.count == 1 ? "" : "s"), counted as 0s: \(shown)")
    }
    return out
}

/// The running loom binary, to launch built-in kinds in child processes.
func selfExecutable() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ProcessArguments.all[0]
}

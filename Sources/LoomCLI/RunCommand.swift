import ArgumentParser
import Foundation
import LoomCore
import LoomTasks

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the stale tasks of a DAG (all tasks, or TASKs and what they need).")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var dag: DAGOptions
    @Argument(help: "Run only these tasks and what they need.") var tasks: [String] = []
    @Option(name: .short, help: "Tasks to run at once (default: the number of cores).") var j: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Rerun this task even if it is up to date (repeatable).") var force: [String] = []
    @Flag(help: "After a failure, keep running everything not downstream of it.") var keepGoing = false
    @Flag(help: "Show what would run and why; run nothing.") var dryRun = false
    @Flag(help: "If another run holds the project lock, wait for it instead of exiting with code 4.") var wait = false
    @Option(help: "With --wait: give up after this many seconds.") var waitTimeout: Double?
    @Option(help: "A name for this run.") var name: String?
    @Option(help: "A tag for this run (repeatable).") var tag: [String] = []
    @Flag(name: .shortAndLong, help: "Print only errors and a one-line summary.") var quiet = false

    func validate() throws {
        if j < 1 { throw ValidationError("-j must be at least 1, got \(j)") }
        if let t = waitTimeout, t < 0 { throw ValidationError("--wait-timeout must be >= 0") }
    }

    func run() throws {
        let console = Console()
        console.quiet = quiet
        let project = self.project.project
        let graph = try loadGraph(project, dag, console: console)
        try checkTaskNames(tasks, in: graph, what: "target")
        try checkTaskNames(force, in: graph, what: "--force")
        let engine = try Engine(project: project, graph: graph)
        if dryRun {
            let reports = try engine.status(targets: tasks, forced: force)
            printStatus(reports, console: console, verb: "would run")
            return
        }
        var options = RunOptions()
        options.jobs = j
        options.keepGoing = keepGoing
        options.targets = tasks
        options.forced = force
        options.builtinLauncher = [selfExecutable(), "exec-builtin"]
        options.name = name
        options.tags = tag
        options.waitForLock = wait
        options.lockTimeout = waitTimeout
        options.command = CommandLine.arguments.joined(separator: " ")
        engine.observer = { event in report(event, console: console) }
        let record: RunRecord
        do {
            record = try engine.run(options)
        } catch let busy as ProjectLock.Busy {
            throw CLIExit(.lockBusy, busy.description)
        }
        try finish(record, project: project, console: console)
    }

    private func finish(_ r: RunRecord, project: Project, console: Console) throws {
        let failed = r.tasks.filter { $0.status == .failed }
        let runDir = project.display(project.runs.directory(r.id))
        for f in failed {
            var msg = "error: task '\(f.name)' (kind \(f.kind)) failed: \(f.error ?? f.outcome ?? "failed")"
            if let log = f.log {
                msg += "\n  log: \(runDir)/\(log)"
                let lines = Console.tail(project.runs.directory(r.id) + "/" + log, 10)
                if !lines.isEmpty { msg += "\n" + lines.map { "  | " + $0 }.joined(separator: "\n") }
            }
            console.err(msg)
        }
        let summary = "loom: \(r.status.rawValue): \(r.count(.ran)) ran, \(r.count(.cached)) cached, \(r.count(.failed)) failed, "
            + "\(r.count(.skipped)) skipped in \(Console.seconds(r.duration)) (run \(r.id))"
        if r.status == .succeeded { console.out(summary) } else { console.err(summary) }
        switch r.status {
        case .interrupted: throw CLIExit(.interrupted)
        case .failed: throw CLIExit(.taskFailed)
        default: return
        }
    }
}

/// One console line per task event.
func report(_ e: EngineEvent, console: Console) {
    switch e {
    case let .started(r, attempt):
        let why = r.reasons.isEmpty ? "" : "  (\(r.reasons.joined(separator: "; ")))"
        let retry = attempt > 1 ? " attempt \(attempt)" : ""
        console.progress("run      \(r.name)\(retry)\(why)")
    case let .finished(r):
        switch r.status {
        case .cached: console.progress("cached   \(r.name)")
        case .ran: console.progress("done     \(r.name)  \(Console.seconds(r.duration))")
        case .failed: console.progress("FAILED   \(r.name)  \(r.error ?? r.outcome ?? "")")
        default: break
        }
    case let .warning(w):
        console.err("warning: \(w)")
    }
}

/// Prints status / dry-run reports: one line per task, reasons indented below stale ones.
func printStatus(_ reports: [TaskReport], console: Console, verb: String) {
    for r in reports {
        if r.status == .upToDate {
            console.out("up to date  \(r.name)")
        } else {
            console.out("\(Console.pad(verb, 10))  \(r.name)")
            for reason in r.reasons { console.out("              - \(reason)") }
        }
    }
    let stale = reports.filter { $0.status == .stale }.count
    console.out("\(reports.count - stale) up to date, \(stale) stale")
}

/// The running loom binary, to launch built-in kinds in child processes.
func selfExecutable() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
}

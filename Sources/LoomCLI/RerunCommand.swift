import ArgumentParser
import Foundation
import LoomCore

struct Rerun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Run a DAG again with a past run's params and targets.",
        discussion: """
            Runs the DAG file the run named (as it is now) with every param at the value it had in that run, \
            and the same targets; -P changes one param (a single value: no sweep). Warns when the DAG text \
            or the git commit differ from the run's (with the DAG's line diff when its text was stored), \
            when the run's tree was dirty, and for params added to or removed from the DAG since. The new \
            run records `rerunOf`. Exit 2 for a run that does not exist, 3 for a damaged run record or a \
            DAG file that no longer exists.
            """)

    @OptionGroup var project: ProjectOptions
    @Argument(help: ArgumentHelp("A run id, a unique prefix of one, a run name, 'last' or 'last~N'.", valueName: "run")) var reference: String
    @Option(name: .customShort("P"), help: ArgumentHelp("Change a param from the run's value: -P name=value (one value).", valueName: "name=value"))
    var params: [String] = []
    @Option(name: .customShort("j", allowingJoined: true), help: "Tasks to run at once (default: the number of cores).") var j: Int?
    @Option(help: "Rerun this task even if it is up to date (repeatable).") var force: [String] = []
    @Flag(help: "After a failure, keep running everything not downstream of it.") var keepGoing = false
    @Flag(help: "Show what would run and why; run nothing.") var dryRun = false
    @Option(help: "A name for the new run.") var name: String?
    @Option(help: "A tag for the new run (repeatable).") var tag: [String] = []
    @Flag(name: .shortAndLong, help: "Print only errors and a one-line summary.") var quiet = false

    func validate() throws {
        if let j, j < 1 { throw ValidationError("-j must be at least 1, got \(j)") }
        _ = try DAGOptions.overrides(params)
    }

    func run() throws {
        let console = Console()
        console.quiet = quiet
        let location = try project.locate()
        let store = location.project.runs
        let query = RunQuery(store: store)
        let past: RunRecord
        do { past = try store.load(try query.resolve(reference, in: query.all()).id) } catch let e as RunQuery.Problem {
            throw CLIExit(.usage, e.description)
        }
        let file = past.dagPath.hasPrefix("/") ? past.dagPath : location.root + "/" + past.dagPath
        guard FileSystem.exists(file) else {
            let stored = DAGTextStore(runsRoot: location.project.runsRoot).text(for: past.dagDigest) != nil
            throw CLIExit(.invalid, "run \(past.id) ran \(past.dagPath), which no longer exists"
                + (stored ? "; the text it ran is kept in experiments/\(DAGTextStore.relativePath(past.dagDigest)) (copy it back to rerun)" : ""))
        }
        // The DAG as it is now, with its own defaults: what the past values are laid over.
        let current = try loadGraph(location, dag: file, params: [], console: console)
        let given = try DAGOptions.overrides(params)
        let plan = Self.overrides(past: past, current: current.params, given: given.map(\.name))
        for w in plan.warnings + Self.drift(past, now: current, location: location) { console.err("warning: \(w)") }
        var request = RunRequest(directories: project.directory, dag: file)
        request.params = plan.overrides.map { "\($0.name)=\($0.value)" } + params
        request.tasks = past.targets
        request.jobs = j
        request.force = force
        request.keepGoing = keepGoing
        request.dryRun = dryRun
        request.name = name
        request.tags = tag
        request.quiet = quiet
        request.rerunOf = past.id.value
        console.progress("rerun of \(past.id): " + (past.params.isEmpty ? "no params" : past.params.keys.sorted().map { "\($0)=\(past.params[$0]!.canonical)" }.joined(separator: " "))
                         + (past.targets.isEmpty ? "" : ", targets " + past.targets.joined(separator: " ")))
        try request.run()
    }

    /// The -P texts that give each param the value it had in `past` (only where it differs from
    /// the DAG's value now; params named in `given` are the user's), and warnings for params the
    /// DAG gained or lost since, or whose type changed.
    static func overrides(past: RunRecord, current: [String: ParamValue], given: [String]) -> (overrides: [(name: String, value: String)], warnings: [String]) {
        var out: [(name: String, value: String)] = [], warnings: [String] = []
        for name in past.params.keys.sorted(by: JSON.byteOrder) where !given.contains(name) {
            let old = past.params[name]!
            guard let now = current[name] else {
                warnings.append("param '\(name)' (\(old.canonical) in run \(past.id)) is no longer in the DAG; left out")
                continue
            }
            if now == old { continue }
            let text = old.plainText
            guard ParamValue.parse(text, like: now) == old else {
                warnings.append("param '\(name)' was \(old.canonical) in run \(past.id), but the DAG now has a \(now.typeName) (\(now.canonical)); using the DAG's value")
                continue
            }
            out.append((name, text))
        }
        for name in current.keys.sorted(by: JSON.byteOrder) where past.params[name] == nil && !given.contains(name) {
            warnings.append("param '\(name)' is new since run \(past.id); using its value in the DAG, \(current[name]!.canonical)")
        }
        return (out, warnings)
    }

    /// What differs between the run's sources and the project's now: the DAG text (with its line
    /// diff when the old text was stored) and the git commit.
    static func drift(_ past: RunRecord, now: TaskGraph, location: ProjectRoot) -> [String] {
        var out: [String] = []
        if past.dagDigest != now.dagDigest {
            var w = "\(past.dagPath) changed since run \(past.id) (text \(past.dagDigest.short) -> \(now.dagDigest.short))"
            if let old = DAGTextStore(runsRoot: location.project.runsRoot).text(for: past.dagDigest), let new = now.dagText {
                let hunks = LineDiff.hunks(old, new)
                w += ":\n" + hunks.prefix(20).map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
                if hunks.count > 20 { w += "\n    ... \(hunks.count - 20) more lines (loom diff shows them)" }
            } else {
                w += "; the run's text was not stored"
            }
            out.append(w)
        }
        guard let p = past.provenance else {
            out.append("run \(past.id) was recorded before runs kept their git commit: cannot tell whether the code changed")
            return out
        }
        let git = GitState.read(from: location.root)
        switch (p.git?.commit, git?.commit) {
        case let (a?, b?) where a != b:
            out.append("the project is at commit \(b.prefix(12)); run \(past.id) ran at \(a.prefix(12))")
        case (_?, nil):
            out.append("run \(past.id) ran at commit \(p.git!.commit!.prefix(12)); the project now has " + (git == nil ? "no git repository" : "no commit"))
        case (nil, _?):
            out.append("run \(past.id) has no git commit recorded; the project is now at \(git!.commit!.prefix(12))")
        default: break
        }
        if p.git?.dirty == true { out.append("run \(past.id) ran with uncommitted changes, which were not recorded") }
        return out
    }
}

import ArgumentParser
import Foundation
import LoomCore

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two runs: provenance, params, tasks whose key or artifact changed (and why), and every metric.",
        discussion: "With no RUN: the last run (of --dag if given) and the run of the same DAG before it. With one: that run and the run of its DAG before it. Tasks a targeted run (loom run DAG TASK) left out are not reported as added or removed. Metric names are printed in full. Provenance lists what differs among the DAG (digest, and the texts' line diff when both are stored), git commit, branch and dirtiness, Loom version and build, user and host; a changed shell command is shown as a line diff.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "Runs: ids, unique prefixes, names, 'last', 'last~N'.") var runs: [String] = []
    @Option(help: "Only runs of this DAG.") var dag: String?
    @Flag(help: "Show unchanged tasks and metrics too.") var all = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if runs.count > 2 { throw ValidationError("loom diff takes at most two runs") }
    }

    func run() throws {
        let project = try self.project.project
        let query = RunQuery(store: project.runs)
        let (oldSummary, newSummary) = try pick(query)
        let old = try query.store.load(oldSummary.id), new = try query.store.load(newSummary.id)
        let store = FileSystem.isDirectory(project.storeRoot + "/keys") ? try? LocalStore(root: project.storeRoot) : nil
        let texts = DAGTextStore(runsRoot: project.runsRoot)
        let d = RunDiff(old: old, new: new, manifest: { store?.lookup($0)?.manifest }, dagText: texts.text(for:))
        let console = Console()
        if json { console.out(d.json.encoded(pretty: true)); return }
        console.out("old \(old.id)\(old.name.map { " (\($0))" } ?? "")  \(old.dagPath)  \(old.status.rawValue)")
        console.out("new \(new.id)\(new.name.map { " (\($0))" } ?? "")  \(new.dagPath)  \(new.status.rawValue)")
        if !d.provenance.isEmpty {
            console.out("\nprovenance")
            for line in Table.render(d.provenance.map { ["  " + $0.field, $0.old + " -> " + $0.new] }) { console.out(line) }
            if !d.dagText.isEmpty {
                let shown = all ? d.dagText : Array(d.dagText.prefix(Self.dagLines))
                console.out("  dag text:")
                for l in shown { console.out(l.isEmpty ? "" : "    " + l) }
                if shown.count < d.dagText.count { console.out("    ... \(d.dagText.count - shown.count) more lines (--all shows them)") }
            }
        }
        if !d.params.isEmpty {
            console.out("\nparams")
            for line in Table.render(d.params.map { ["  " + $0.name, ($0.old?.canonical ?? "-") + " -> " + ($0.new?.canonical ?? "-")] }) { console.out(line) }
        }
        let tasks = d.tasks.filter { all || $0.changed }
        if !tasks.isEmpty {
            console.out("\ntasks")
            for t in tasks {
                var what: [String] = []
                if t.outsideTargets { what.append("outside a targeted run") }
                if t.keyChanged { what.append("key changed") }
                if t.artifactChanged { what.append("output changed") } else if t.keyChanged { what.append("same output") }
                if t.outcomeChanged && !t.outsideTargets { what.append("\(t.oldStatus ?? "-") -> \(t.newStatus ?? "-")") }
                console.out("  \(t.task): \(what.isEmpty ? "unchanged" : what.joined(separator: ", "))")
                for r in t.reasons { console.out("      - \(r)") }
                for l in t.commandDiff { console.out(l.isEmpty ? "" : "        " + l) }
            }
        }
        let metrics = d.metrics.filter { all || $0.changed }
        if !metrics.isEmpty {
            console.out("\nmetrics")
            var rows = [["  METRIC", "OLD", "NEW", "CHANGE", "REL"]]
            for m in metrics {
                rows.append(["  " + m.name, m.old.map(formatNumber) ?? "-", m.new.map(formatNumber) ?? "-",
                             m.absolute.map { ($0 > 0 ? "+" : "") + formatNumber($0) } ?? "-",
                             m.relative.map { String(format: "%+.1f%%", $0 * 100) } ?? "-"])
            }
            for line in Table.render(rows) { console.out(line) }
        }
        if d.provenance.isEmpty && d.params.isEmpty && tasks.isEmpty && metrics.isEmpty { console.out("\nno differences") }
    }

    /// Lines of the DAG text diff shown without --all.
    static let dagLines = 40

    private func pick(_ query: RunQuery) throws -> (RunSummary, RunSummary) {
        do {
            let records = query.all(dag: dag)
            switch runs.count {
            case 2: return (try query.resolve(runs[0], in: records), try query.resolve(runs[1], in: records))
            case 1:
                let new = try query.resolve(runs[0], in: records)
                guard let old = records.last(where: { $0.id < new.id && $0.dagName == new.dagName }) else {
                    throw CLIExit(.usage, "run \(new.id) has no earlier run of \(new.dagPath) to compare with")
                }
                return (old, new)
            default:
                guard let new = records.last else { throw CLIExit(.usage, "need at least two recorded runs to compare; there are none") }
                guard let old = records.last(where: { $0.id < new.id && $0.dagName == new.dagName }) else {
                    throw CLIExit(.usage, "the last run, \(new.id), is the only run of \(new.dagPath); need two runs of the same DAG to compare (name them: loom diff RUN RUN)")
                }
                return (old, new)
            }
        } catch let e as RunQuery.Problem {
            throw CLIExit(.usage, e.description)
        }
    }
}

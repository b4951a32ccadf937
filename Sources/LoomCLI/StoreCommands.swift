import ArgumentParser
import Foundation
import LoomCore
import LoomTasks

/// Runs `body` holding the project lock (store maintenance must never race a `loom run`).
func withProjectLock<T>(_ project: Project, wait: Bool, _ body: () throws -> T) throws -> T {
    let lock = ProjectLock(path: project.storeRoot + "/lock")
    try FileSystem.makeDirectories(project.storeRoot)
    do { try lock.acquire(wait: wait, command: ProcessArguments.commandLine) } catch let b as ProjectLock.Busy {
        throw CLIExit(.lockBusy, b.description)
    }
    defer { lock.release() }
    if let prev = lock.previousHolder {
        let marked = lock.previousRun.map { project.runs.markCrashed($0) } ?? false
        Console().err("warning: the previous run (\(prev)) did not exit cleanly; taking over its lock"
                      + (marked ? " and marking run \(lock.previousRun!) crashed" : ""))
    }
    return try body()
}

func bytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n), u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the store: every artifact matches its digest, every key points at an artifact.",
                                                    discussion: "Exit 0 when clean, 1 when problems were found (and, with --repair, removed).")
    @OptionGroup var project: ProjectOptions
    @Flag(help: "Delete corrupt blobs, corrupt artifacts and dangling keys so the next run rebuilds them.") var repair = false
    @Flag(help: "Wait for a running loom run instead of exiting with code 4.") var wait = false

    func run() throws {
        let console = Console()
        let project = try self.project.project
        let report = try withProjectLock(project, wait: wait) {
            StoreMaintenance(store: try LocalStore(root: project.storeRoot)).verify(repair: repair)
        }
        for b in report.corruptBlobs { console.out("corrupt blob \(project.display(b))\(repair ? " (removed)" : "")") }
        for d in report.corrupt { console.out("corrupt artifact \(d.hex)\(repair ? " (removed)" : "")") }
        for k in report.danglingKeys { console.out("dangling key \(project.display(k))\(repair ? " (removed)" : "")") }
        console.out("checked \(report.blobsChecked) blobs, \(report.treesChecked) artifacts and \(report.keysChecked) keys: "
            + (report.isClean ? "clean" : "\(report.corruptBlobs.count) corrupt blobs, \(report.corrupt.count) corrupt artifacts, \(report.danglingKeys.count) dangling keys\(repair ? ", repaired" : "; run 'loom verify --repair'")"))
        if !report.isClean { throw CLIExit(.taskFailed) }
    }
}

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete artifacts that no kept run, no DAG's latest build and no current key of a DAG under dags/ references.",
        discussion: "Kept runs: with no --keep option, every recorded run; otherwise the union of --keep-last, --keep-days and --keep-named. Always kept: the latest build of every DAG (artifacts/state) and what each DAG under dags/ would reuse as written now (its current keys, as loom status computes them). Also clears the cache of parsed DAGs (artifacts/graphs), which the next load refills.")
    @OptionGroup var project: ProjectOptions
    @Option(help: "Keep the artifacts of the last N runs.") var keepLast: Int?
    @Option(help: "Keep the artifacts of runs from the last D days.") var keepDays: Double?
    @Flag(help: "Keep the artifacts of every named run.") var keepNamed = false
    @Flag(help: "Print what would be freed; delete nothing.") var dryRun = false
    @Flag(help: "Wait for a running loom run instead of exiting with code 4.") var wait = false

    func run() throws {
        let console = Console()
        let project = try self.project.project
        let runs = RunQuery(store: project.runs).all()
        let cutoff = keepDays.map { Date().addingTimeInterval(-$0 * 86400) }
        let anyRule = keepLast != nil || keepDays != nil || keepNamed
        let lastIDs = Set(runs.suffix(keepLast ?? 0).map(\.id))
        let kept = runs.filter { r in
            !anyRule || lastIDs.contains(r.id) || (cutoff.map { r.startedAt >= $0 } ?? false) || (keepNamed && r.name != nil)
        }
        let report = try withProjectLock(project, wait: wait) { () -> StoreMaintenance.GCReport in
            let m = StoreMaintenance(store: try LocalStore(root: project.storeRoot))
            var keep = Set<Digest>()
            for summary in kept {
                // A run whose record cannot be read keeps nothing; say so rather than guess.
                guard let r = try? project.runs.load(summary.id) else { console.err("warning: cannot read run \(summary.id); its artifacts are not protected"); continue }
                keep.formUnion(r.tasks.compactMap(\.artifact))
            }
            for (_, state) in m.states() { keep.formUnion(state.tasks.values.map(\.artifact)) }
            // Cached graphs are only a cache: clear them all; loading each DAG below caches it again.
            if !dryRun { GraphCache(storeRoot: project.storeRoot).clear() }
            keep.formUnion(currentArtifacts(project, console: console))
            return m.collect(keep: keep, dryRun: dryRun)
        }
        console.out("\(dryRun ? "would remove" : "removed") \(report.artifactsRemoved) artifacts, \(report.keysRemoved) keys"
            + (dryRun ? "" : ", \(report.blobsRemoved) files") + "; \(dryRun ? "would free" : "freed") \(bytes(report.bytesFreed))"
            + "; kept \(report.artifactsKept) artifacts of \(kept.count) of \(runs.count) runs and the latest builds"
            + (report.leftoversRemoved == 0 ? "" : "; \(dryRun ? "would clear" : "cleared") \(report.leftoversRemoved) leftovers of killed runs in artifacts/tmp"))
    }
}

extension GC {
    /// The artifacts that the DAGs under `dags/` would reuse now, as written (their current keys,
    /// as `loom status` computes them). A DAG that does not load keeps nothing, with a warning.
    func currentArtifacts(_ project: Project, console: Console) -> Set<Digest> {
        let dir = project.root + "/dags"
        let files = ((try? FileSystem.listDirectory(dir)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        var keep = Set<Digest>()
        for f in files {
            var renderer = DiagnosticRenderer()
            do {
                let graph = try project.loadGraph(dir + "/" + f, registry: BuiltinKinds.registry, overrides: [], renderer: &renderer)
                keep.formUnion(try Engine(project: project, graph: graph).status().compactMap(\.artifact))
            } catch {
                console.err("warning: dags/\(f) does not load, so its current artifacts are not protected: \(error)")
            }
        }
        return keep
    }
}

struct DU: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "du", abstract: "Store size, by DAG and task (latest builds).")
    @OptionGroup var project: ProjectOptions
    @Flag(help: "Print JSON: {dags: [{dag, tasks: [{task, bytes, artifact}], bytes}], artifacts, blobBytes}.") var json = false

    func run() throws {
        let console = Console()
        let project = try self.project.project
        guard FileSystem.isDirectory(project.storeRoot + "/trees") else {
            console.out(json ? JSON.object(["dags": .array([]), "artifacts": .int(0), "blobBytes": .int(0)]).encoded(pretty: true) : "the store is empty")
            return
        }
        let m = StoreMaintenance(store: try LocalStore(root: project.storeRoot))
        var rows = [["DAG", "TASK", "SIZE", "ARTIFACT"]]
        var dags: [JSON] = []
        for (dag, state) in m.states() {
            var total: Int64 = 0
            var tasks: [JSON] = []
            for task in state.tasks.keys.sorted() {
                let d = state.tasks[task]!.artifact
                let size = m.size(of: d)
                total += size
                rows.append([dag, task, bytes(size), d.short])
                tasks.append(.object(["task": .string(task), "bytes": .int(Int(size)), "artifact": .string(d.hex)]))
            }
            rows.append([dag, "(total)", bytes(total), ""])
            dags.append(.object(["dag": .string(dag), "tasks": .array(tasks), "bytes": .int(Int(total))]))
        }
        let trees = ((try? FileSystem.listDirectory(project.storeRoot + "/trees")) ?? []).count
        if json {
            console.out(JSON.object(["dags": .array(dags), "artifacts": .int(trees), "blobBytes": .int(Int(m.blobBytes()))]).encoded(pretty: true))
            return
        }
        for line in Table.render(rows) { console.out(line) }
        console.out("store: \(trees) artifacts, \(bytes(m.blobBytes())) on disk (identical files stored once)")
    }
}

struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dag", abstract: "Print a DAG's graph: as text, Graphviz dot, or Mermaid.")
    @OptionGroup var project: ProjectOptions
    @OptionGroup var dag: DAGOptions
    @Flag(help: "Graphviz dot.") var dot = false
    @Flag(help: "Mermaid flowchart.") var mermaid = false
    @Flag(help: "JSON: {dag, name, digest, params, tasks: [{name, kind, needs}]} (tasks in run order).") var json = false

    func validate() throws {
        if [dot, mermaid, json].filter({ $0 }).count > 1 { throw ValidationError("give at most one of --dot, --mermaid, --json") }
    }

    func run() throws {
        let console = Console()
        let graph = try loadGraph(try project.locate(), dag, console: console)
        if json {
            let tasks = graph.nodes.map { n in
                JSON.object(["name": .string(n.id.name), "kind": .string(n.kind), "needs": .array(n.needs.map { .string(graph.nodes[$0].id.name) })])
            }
            console.out(JSON.object(["dag": .string(graph.dagPath), "name": .string(graph.dagName), "digest": .string(graph.dagDigest.hex),
                                     "params": .object(graph.params.mapValues(\.json)), "tasks": .array(tasks)]).encoded(pretty: true))
        } else if dot {
            var out = "digraph \"\(graph.dagName)\" {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
            for n in graph.nodes { out += "  \"\(n.id.name)\" [label=\"\(n.id.name)\\n\(n.kind)\"];\n" }
            for n in graph.nodes { for j in n.needs { out += "  \"\(graph.nodes[j].id.name)\" -> \"\(n.id.name)\";\n" } }
            console.out(out + "}")
        } else if mermaid {
            var out = "flowchart LR\n"
            for n in graph.nodes { out += "  \(Self.mermaidID(n.id.name))[\"\(n.id.name)<br/>\(n.kind)\"]\n" }
            for n in graph.nodes { for j in n.needs { out += "  \(Self.mermaidID(graph.nodes[j].id.name)) --> \(Self.mermaidID(n.id.name))\n" } }
            console.out(out.trimmingTrailingNewline)
        } else {
            let width = graph.nodes.map(\.id.name.count).max() ?? 0
            for n in graph.nodes {
                let needs = n.needs.map { graph.nodes[$0].id.name }
                console.out(needs.isEmpty ? "\(Console.pad(n.id.name, width))  \(n.kind)"
                    : "\(Console.pad(n.id.name, width))  \(Console.pad(n.kind, 10))  <- " + needs.joined(separator: ", "))
            }
        }
    }

    static func mermaidID(_ s: String) -> String { "t_" + s.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() }
}

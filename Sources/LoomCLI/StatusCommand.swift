import ArgumentParser
import LoomCore
import LoomTasks

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show, per task, whether it is up to date or stale and exactly why.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var dag: DAGOptions
    @Argument(help: "Only these tasks and what they need.", completion: Completion.taskNames) var tasks: [String] = []
    @Option(help: "Treat this task as forced (repeatable).") var force: [String] = []
    @Option(help: "Say which stale tasks this remote cache can serve (default: default_remote in loom.yaml).") var remote: String?
    @Flag(help: "Do not ask a remote cache.") var noRemote = false
    @Flag(help: "Print JSON: [{name, kind, status, reasons, key}] (status up-to-date or stale).") var json = false
    @Option(name: .short, help: "Estimate the run's wall time with this many tasks at once (default: as 'loom run' would).") var j: Int?

    func validate() throws { if let j, j < 1 { throw ValidationError("-j must be at least 1, got \(j)") } }

    func run() throws { try request.run() }

    var request: StatusRequest {
        StatusRequest(directories: project.directory, dag: dag.dag, params: dag.params, tasks: tasks, force: force, remote: remote, noRemote: noRemote,
                      json: json, jobs: j)
    }
}

/// What `loom status` was asked, however the command line was read (`Status`, or `FastArguments`).
struct StatusRequest: Equatable {
    /// `-C` values, in order.
    var directories: [String] = []
    var dag: String
    var params: [String] = []
    var tasks: [String] = []
    var force: [String] = []
    var remote: String?
    var noRemote = false
    var json = false
    var jobs: Int?

    func run() throws {
        let console = Console()
        let location = try ProjectRoot.locate(directories)
        let project = location.project
        let graph = try loadGraph(location, dag: dag, params: params, console: console)
        var (reports, estimate) = try Engine(project: project, graph: graph).statusWithEstimate(
            targets: try taskNames(tasks, in: graph, what: "task"), forced: try taskNames(force, in: graph, what: "task"), jobs: json ? nil : self.jobs ?? defaultJobs(location.file))
        // Which stale tasks (whose key is known: nothing they need will run first) the remote has.
        if !noRemote, reports.contains(where: { $0.status == .stale && $0.key != nil }),
           let tier = try RemoteSetup.open(location, name: remote, required: false, console: console) {
            for i in reports.indices where reports[i].status == .stale {
                guard let key = reports[i].key, (try? tier.remote.entry(key)) != nil else { continue }
                reports[i].reasons.append("the remote cache has it: loom run downloads it instead of running it")
            }
        }
        if json {
            console.out(JSON.array(reports.map { r in
                .object(["name": .string(r.name), "kind": .string(r.kind), "status": .string(r.status.rawValue),
                         "reasons": .array(r.reasons.map { .string($0) }), "key": r.key.map { .string($0.digest.hex) } ?? .null])
            }).encoded(pretty: true))
            return
        }
        printStatus(reports, console: console, verb: "stale", estimate: estimate)
    }
}

struct PathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "path", abstract: "Print the directory of a task's latest artifact.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "The DAG: a file or a name (demo is dags/demo.yaml), found as for loom run.", completion: Completion.dagFiles) var dag: String
    @Argument(help: "The task.", completion: Completion.taskNames) var task: String

    func run() throws {
        Console().out(try Self.artifact(project: project, dag: dag, task: task))
    }

    /// The directory of the task's latest artifact (exit 3 if it was never built).
    static func artifact(project options: ProjectOptions, dag: String, task: String) throws -> String {
        let location = try options.locate()
        let project = location.project
        // A DAG that is not (or no longer) on disk is still named by its file name.
        let name = GraphBuilder.dagName(project.display(location.dagFile(dag) ?? dag))
        let state = BuildState.load(BuildState.path(storeRoot: project.storeRoot, dag: name))
        guard let r = state.tasks[task] else {
            // A DAG still on disk says whether the task exists at all (a typo) or was never built.
            if location.dagFile(dag) != nil, let graph = try? loadGraph(location, dag: dag, params: [], console: Console()), graph.index(of: task) == nil {
                let instances = graph.tasks(named: task)
                if !instances.isEmpty {
                    let shown = instances.prefix(8).joined(separator: ", ") + (instances.count > 8 ? ", ..." : "")
                    throw CLIExit(.invalid, "'\(task)' in \(project.display(dag)) is a task template (matrix) of \(instances.count) tasks; name one: \(shown)")
                }
                let hint = Suggestion.closest(to: task, in: graph.nodes.map(\.id.name)).map { " (did you mean '\($0)'?)" } ?? ""
                throw CLIExit(.invalid, "no task named '\(task)' in \(project.display(dag))\(hint)")
            }
            let hint = Suggestion.closest(to: task, in: state.tasks.keys.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
            throw CLIExit(.invalid, "task '\(task)' of \(project.display(dag)) has never been built\(hint)")
        }
        return project.storeRoot + "/trees/" + r.artifact.hex
    }
}

struct Kinds: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kinds", abstract: "List the built-in task kinds and their params.")

    @OptionGroup var project: ProjectOptions
    @Flag(help: "Print Markdown (the text of docs/kinds.md).") var markdown = false
    @Flag(help: "Print JSON: [{name, version, summary, params: [{name, type, required, default, doc}]}].") var json = false

    func validate() throws {
        if markdown && json { throw ValidationError("give one of --markdown and --json") }
    }

    func run() throws {
        _ = try ProjectRoot.startDirectory(project.directory)   // no project needed; a bad -C is still an error
        Console().out(json ? Self.json().encoded(pretty: true) : markdown ? Self.markdown() : Self.text())
    }

    /// Every kind, shell first, with its params as `loom kinds` prints them.
    static func json() -> JSON {
        let shell = JSON.object(["name": .string(KindRegistry.shell), "version": .int(KindRegistry.shellVersion),
                                 "summary": .string("Runs 'cmd' with /bin/sh -c in the project root."), "params": .array([])])
        return .array([shell] + sorted.map { d in
            .object(["name": .string(d.name), "version": .int(d.version), "summary": .string(d.summary),
                     "params": .array(d.params.map { p in
                         .object(["name": .string(p.name), "type": .string(p.typeText), "required": .bool(p.isRequired),
                                  "default": p.isRequired ? .null : .string(p.defaultText), "doc": .string(p.doc)])
                     })])
        })
    }

    static var sorted: [KindDescriptor] { LoomTasks.BuiltinKinds.all.sorted { $0.name < $1.name } }

    static func text() -> String {
        var out = "shell (version \(KindRegistry.shellVersion))\n  Runs 'cmd' with /bin/sh -c in the project root."
        for d in sorted {
            out += "\n\n\(d.name) (version \(d.version))\n  \(d.summary)"
            for p in d.params {
                out += "\n  \(Console.pad(p.name, 16)) \(Console.pad(p.typeText, 18)) \(p.isRequired ? "required" : "default \(p.defaultText)")  \(p.doc)"
            }
        }
        return out
    }

    /// Generated from the kinds' declarations; `docs/kinds.md` is this text (a test checks it).
    static func markdown() -> String {
        var out = "# Built-in kinds\n\nGenerated by `loom kinds --markdown` from the kinds' declarations; do not edit by hand.\n"
        out += "Every kind reads its inputs from the artifacts of the tasks it `needs` and writes into `$LOOM_OUT`.\n"
        for d in sorted {
            out += "\n## \(d.name) (version \(d.version))\n\n\(d.summary)\n\n| param | type | default | meaning |\n|---|---|---|---|\n"
            for p in d.params {
                out += "| `\(p.name)` | \(p.typeText) | \(p.defaultText) | \(p.doc.replacingOccurrences(of: "|", with: "\\|")) |\n"
            }
        }
        return out
    }
}

import ArgumentParser
import LoomCore
import LoomTasks

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show, per task, whether it is up to date or stale and exactly why.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var dag: DAGOptions
    @Argument(help: "Only these tasks and what they need.") var tasks: [String] = []
    @Option(help: "Treat this task as forced (repeatable).") var force: [String] = []

    func run() throws {
        let console = Console()
        let project = self.project.project
        let graph = try loadGraph(project, dag, console: console)
        try checkTaskNames(tasks + force, in: graph, what: "task")
        let reports = try Engine(project: project, graph: graph).status(targets: tasks, forced: force)
        printStatus(reports, console: console, verb: "stale")
    }
}

struct PathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "path", abstract: "Print the directory of a task's latest artifact.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "The DAG file.") var dag: String
    @Argument(help: "The task.") var task: String

    func run() throws {
        let project = self.project.project
        let name = GraphBuilder.dagName(project.display(dag))
        let state = BuildState.load(BuildState.path(storeRoot: project.storeRoot, dag: name))
        guard let r = state.tasks[task] else {
            let hint = Suggestion.closest(to: task, in: state.tasks.keys.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
            throw CLIExit(.invalid, "task '\(task)' of \(project.display(dag)) has never been built\(hint)")
        }
        Console().out(project.storeRoot + "/trees/" + r.artifact.hex)
    }
}

struct Kinds: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the built-in task kinds and their params.")

    func run() throws {
        let console = Console()
        console.out("shell (version \(KindRegistry.shellVersion))\n  Runs 'cmd' with /bin/sh -c in the project root.")
        for d in LoomTasks.BuiltinKinds.all.sorted(by: { $0.name < $1.name }) {
            console.out("\n\(d.name) (version \(d.version))\n  \(d.summary)")
            for p in d.params {
                console.out("  \(Console.pad(p.name, 16)) \(Console.pad(p.type, 8)) \(p.defaultValue.map { "default \($0)" } ?? "required")  \(p.help)")
            }
        }
    }
}

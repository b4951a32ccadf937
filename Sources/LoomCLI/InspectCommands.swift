import ArgumentParser
import Foundation
import LoomCore

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a task's log from a run (-f: follow it while the run goes on).",
        discussion: "Only tasks that ran have a log (a cached task has none). With -f, loom prints the log as it grows and returns when the run is over (or its process is gone); a task that has not started yet is waited for. Exit 2 for a run or a task that does not exist, or a task without a log.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: ArgumentHelp("A run id, a unique prefix of one, a run name, 'last' or 'last~N'.", valueName: "run")) var reference: String
    @Argument(help: "The task.") var task: String
    @Flag(name: .shortAndLong, help: "Follow the log until the run ends.") var follow = false
    @Option(help: ArgumentHelp("With -f: seconds between looks at the log.", valueName: "seconds")) var interval: Double = 0.2

    func validate() throws {
        // A task name is one path component: never a way out of the run's logs directory.
        if task.isEmpty || task.contains("/") || task.hasPrefix(".") { throw ValidationError("'\(task)' is not a task name") }
        if interval <= 0 { throw ValidationError("--interval must be > 0") }
    }

    func run() throws {
        let console = Console()
        let store = try project.project.runs
        let query = RunQuery(store: store)
        let id: RunID
        do { id = try query.resolve(reference, in: query.all()).id } catch let e as RunQuery.Problem { throw CLIExit(.usage, e.description) }
        var record = try store.load(id)
        let path = store.logPath(id, task: task)
        if record.status != .running || !follow {
            try checkTask(record)
            guard let bytes = try? FileSystem.readBytes(path) else {
                throw CLIExit(.usage, "task '\(task)' has no log in run \(id): it did not run (\(record.tasks.first { $0.name == task }?.status.rawValue ?? "not started"))")
            }
            console.raw(bytes)
            return
        }
        // Following a running run: print what is new each time, until the run is over.
        var offset = 0
        while true {
            if let bytes = try? FileSystem.readBytes(path), bytes.count > offset {
                console.raw(Array(bytes[offset...]))
                offset = bytes.count
            }
            if record.status != .running { break }
            if record.pid > 0, kill(record.pid, 0) != 0, errno == ESRCH {
                console.err("warning: run \(id) is marked running but its process (\(record.pid)) is gone")
                break
            }
            Thread.sleep(forTimeInterval: interval)
            record = try store.load(id)
        }
        if offset == 0 { try checkTask(record) }
    }

    /// A finished run names its tasks: an unknown one is an error with "did you mean".
    private func checkTask(_ r: RunRecord) throws {
        guard r.status != .running, !r.tasks.contains(where: { $0.name == task }) else { return }
        let hint = Suggestion.closest(to: task, in: r.tasks.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
        throw CLIExit(.usage, "run \(r.id) has no task '\(task)'\(hint)")
    }
}

struct Ls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List the files of a task's latest artifact, with sizes.",
        discussion: "The artifact is the one `loom path DAG TASK` prints. Exit 3 if the task was never built.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "The DAG: a file or a name (demo is dags/demo.yaml), found as for loom run.", completion: Completion.dagFiles) var dag: String
    @Argument(help: "The task.", completion: Completion.taskNames) var task: String
    @Flag(help: "Print JSON: [{path, size}].") var json = false

    func run() throws {
        let console = Console()
        let dir = try PathCommand.artifact(project: project, dag: dag, task: task)
        var files: [(path: String, size: Int64)] = []
        func walk(_ rel: String) {
            let full = rel.isEmpty ? dir : dir + "/" + rel
            for name in ((try? FileSystem.listDirectory(full)) ?? []).sorted(by: JSON.byteOrder) {
                let r = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard lstat(dir + "/" + r, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR { walk(r) } else { files.append((r, Int64(st.st_size))) }
            }
        }
        walk("")
        if json {
            console.out(JSON.array(files.map { .object(["path": .string($0.path), "size": .int(Int($0.size))]) }).encoded(pretty: true))
            return
        }
        for line in Table.render(files.map { [bytes($0.size), $0.path] }) { console.out(line) }
        console.out("\(files.count) file\(files.count == 1 ? "" : "s"), \(bytes(files.reduce(0) { $0 + $1.size })) in \(dir)")
    }
}

import ArgumentParser
import Foundation
import LoomCore
import LoomRemote

/// Opens the remote cache a command uses: `name`, else the project file's `default_remote`.
enum RemoteSetup {
    /// The project file of `root` (an empty one for a project without `loom.yaml`).
    static func projectFile(_ root: String) throws -> ProjectFile {
        let path = root + "/" + ProjectFile.name
        guard FileSystem.exists(path) else { return ProjectFile() }
        return try ProjectRoot.rendering { try ProjectFile.parse(try FileSystem.readBytes(path), path: path) }
    }

    /// The named (or default) remote, checked to answer with the credentials found; nil when the
    /// project names none. A remote that cannot be used is an error (exit 8) when `required`,
    /// otherwise one warning and nil: the run goes on locally.
    static func open(_ location: ProjectRoot, name: String?, required: Bool, console: Console) throws -> RemoteTier? {
        let file = location.file
        if let name, file.remote(name) == nil {
            let known = file.remotes.map(\.name)
            throw CLIExit(.usage, "no remote named '\(name)' in \(ProjectFile.name)" + (known.isEmpty ? " (it names none; add one with 'loom remote add NAME s3://BUCKET/PREFIX')"
                                                                                                    : " (remotes: \(known.joined(separator: ", ")))"))
        }
        guard let r = file.remote(name) else {
            if required { throw CLIExit(.usage, "no remote: give --remote NAME or set default_remote in \(ProjectFile.name)") }
            return nil
        }
        do {
            let remote = try s3(r)
            // One cheap call before any task: a remote that is down or refuses the credentials is
            // said once, here, instead of once per task.
            _ = try remote.entry(CacheKey(Digest(of: "loom: probe")))
            return RemoteTier(local: try LocalStore(root: location.project.storeRoot), remote: remote)
        } catch {
            let message = "the remote cache '\(r.name)' (\(r.url)) cannot be used: \(error)"
            if required { throw CLIExit(.remoteUnavailable, message) }
            console.err("warning: \(message); going on without it")
            return nil
        }
    }

    static func s3(_ r: ProjectFile.Remote) throws -> S3Remote {
        let env = ProcessInfo.processInfo.environment
        let (bucket, prefix) = try S3Location.parse(r.url).get()
        let client = try S3Client(bucket: bucket, region: S3Location.region(configured: r.region, environment: env),
                                  endpoint: try S3Location.endpoint(configured: r.endpoint, environment: env),
                                  credentials: try S3Location.credentials(environment: env))
        return S3Remote(client, prefix: prefix)
    }
}

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote", abstract: "Name the shared caches (S3 buckets) of the project, in loom.yaml.",
        discussion: "Credentials never go into loom.yaml: Loom reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or AWS_PROFILE with ~/.aws/credentials, as the AWS tools do; AWS_ENDPOINT_URL when a remote has no endpoint.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a remote: loom remote add NAME s3://BUCKET/PREFIX.")
        @OptionGroup var project: ProjectOptions
        @Argument(help: "The remote's name (letters, digits, - _ .).") var name: String
        @Argument(help: "s3://BUCKET/PREFIX") var url: String
        @Option(help: ArgumentHelp("An S3-compatible server instead of AWS, e.g. http://127.0.0.1:8333.", valueName: "URL")) var endpoint: String?
        @Option(help: "The bucket's region (default: AWS_REGION, ~/.aws/config, us-east-1).") var region: String?
        @Flag(name: .customLong("default"), help: "Make it the default remote.") var makeDefault = false

        func run() throws {
            guard ProjectFile.validRemoteName(name) else { throw CLIExit(.usage, "'\(name)' is not a remote name: use letters, digits, '-', '_' or '.'") }
            if case .failure(let e) = S3Location.parse(url) { throw CLIExit(.usage, e.message) }
            if let endpoint { _ = try S3Location.endpoint(configured: endpoint, environment: [:]) }
            try edit(project) { file in
                guard !file.remotes.contains(where: { $0.name == name }) else {
                    throw CLIExit(.usage, "a remote named '\(name)' exists already (loom remote remove \(name) first)")
                }
                file.remotes.append(.init(name: name, url: url, endpoint: endpoint, region: region))
                if makeDefault || file.remotes.count == 1 { file.defaultRemote = name }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the remotes (the default one marked *).")
        @OptionGroup var project: ProjectOptions
        func run() throws {
            let file = try RemoteSetup.projectFile(try project.locate().root)
            let console = Console()
            if file.remotes.isEmpty { console.out("no remotes (add one with 'loom remote add NAME s3://BUCKET/PREFIX')"); return }
            for r in file.remotes {
                var line = "\(r.name == file.defaultRemote ? "*" : " ") \(r.name)  \(r.url)"
                if let e = r.endpoint { line += "  endpoint \(e)" }
                if let g = r.region { line += "  region \(g)" }
                console.out(line)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a remote from loom.yaml (the bucket is not touched).")
        @OptionGroup var project: ProjectOptions
        @Argument(help: "The remote's name.") var name: String
        func run() throws {
            try edit(project) { file in
                guard file.remotes.contains(where: { $0.name == name }) else { throw CLIExit(.usage, "no remote named '\(name)'") }
                file.remotes.removeAll { $0.name == name }
                if file.defaultRemote == name { file.defaultRemote = nil }
            }
        }
    }

    /// Reads loom.yaml, applies `change`, writes it back (other lines kept) and reads it again.
    static func edit(_ options: ProjectOptions, _ change: (inout ProjectFile) throws -> Void) throws {
        let root = try options.locate().root
        let path = root + "/" + ProjectFile.name
        guard FileSystem.exists(path) else { throw CLIExit(.usage, "this project has no \(ProjectFile.name) yet: run 'loom init' first") }
        var file = try RemoteSetup.projectFile(root)
        try change(&file)
        let text = file.rewritingRemotes(of: try FileSystem.readText(path))
        guard (try? ProjectFile.parse(Array(text.utf8), path: path)) == file else {
            throw InternalError("rewriting \(path) would not read back as written")
        }
        try FileSystem.writeAtomically(path, text)
    }
}

/// `edit` for the subcommands (they hold their own `ProjectOptions`).
private func edit(_ options: ProjectOptions, _ change: (inout ProjectFile) throws -> Void) throws {
    try RemoteCommand.edit(options, change)
}

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Upload the latest artifacts (and their keys) of a DAG, or of every DAG, to the remote cache.",
        discussion: "Blobs the remote has are skipped; a key is uploaded only after every blob it needs. Exit 8 if the remote cannot be used.")
    @OptionGroup var project: ProjectOptions
    @Argument(help: "The DAG (default: every DAG with a build state).") var dag: String?
    @Argument(help: "Only these tasks.") var tasks: [String] = []
    @Option(help: "The remote (default: default_remote in loom.yaml).") var remote: String?

    func run() throws {
        let console = Console()
        let location = try project.locate()
        let p = location.project
        var dags: [String] = []
        if let dag {
            let graph = try loadGraph(location, dag: dag, params: [], console: console)
            _ = try taskNames(tasks, in: graph, what: "task")
            dags = [graph.dagName]
        } else {
            dags = ((try? FileSystem.listDirectory(p.storeRoot + "/state")) ?? []).filter { $0.hasSuffix(".tsv") }.map { String($0.dropLast(4)) }.sorted()
        }
        guard let tier = try RemoteSetup.open(location, name: remote, required: true, console: console) else { return }
        let (pushed, missing) = try withProjectLock(p, wait: true) { () -> (Int, [String]) in
            var pushed = 0, missing: [String] = []
            for d in dags {
                let state = BuildState.load(BuildState.path(storeRoot: p.storeRoot, dag: d))
                for name in state.tasks.keys.sorted() where tasks.isEmpty || tasks.contains(name) {
                    let rec = state.tasks[name]!
                    guard let entry = tier.local.lookup(rec.key), entry.artifact == rec.artifact, tier.local.intact(rec.artifact, repair: false) else {
                        missing.append("\(d)/\(name)")
                        continue
                    }
                    tier.push(entry)
                    if let problem = tier.unreachable { throw CLIExit(.remoteUnavailable, problem) }
                    pushed += 1
                }
            }
            return (pushed, missing)
        }
        for m in missing { console.err("warning: \(m): its artifact is not in the local store (run it first); not pushed") }
        console.out("pushed \(pushed) artifact\(pushed == 1 ? "" : "s")")
    }
}

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull", abstract: "Download from the remote cache the artifacts of a DAG's stale tasks; run nothing.",
        discussion: "Each downloaded file is checked against its digest. Tasks the remote cannot serve stay stale (skipped). Exit 8 if the remote cannot be used.")
    @OptionGroup var project: ProjectOptions
    @OptionGroup var dag: DAGOptions
    @Argument(help: "Only these tasks and what they need.") var tasks: [String] = []
    @Option(help: "The remote (default: default_remote in loom.yaml).") var remote: String?

    func run() throws {
        let console = Console()
        let location = try project.locate()
        let graph = try loadGraph(location, dag: dag.dag, params: dag.params, console: console)
        let targets = try taskNames(tasks, in: graph, what: "task")
        let engine = try Engine(project: location.project, graph: graph)
        engine.remote = try RemoteSetup.open(location, name: remote, required: true, console: console)
        engine.writeThrough = false
        var options = RunOptions()
        options.targets = targets
        options.pullOnly = true
        options.keepGoing = true
        options.jobs = 2
        options.command = ProcessArguments.commandLine
        let record = try engine.run(options)
        if let problem = engine.remote?.unreachable { throw CLIExit(.remoteUnavailable, problem) }
        let pulled = record.tasks.filter { $0.reasons.contains(TaskReport.servedByRemote) }.count
        let stale = record.count(.skipped)
        console.out("pulled \(pulled), up to date \(record.count(.cached) - pulled), not in the remote \(stale) (run \(record.id))")
    }
}

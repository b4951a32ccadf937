import Foundation

/// What a cluster job runs on its node: `loom exec-job FILE` reads this file, runs the task's
/// command under the same supervisor as a local run (fenced off from the store, every process of
/// the task killed before it reports, its own timeout), and writes how it ended to `outcome`.
///
/// Format "loom-node-job 1", JSON: `{"format", "arguments", "cwd", "log", "outcome", "timeout"?,
/// "fence"?: {"read_only", "writable"}}`. The environment is not in the file (it may hold
/// secrets): the job inherits it from `sbatch --export=ALL`.
public struct NodeJob: Equatable, Sendable {
    public static let format = "loom-node-job 1"
    public var arguments: [String]
    public var workingDirectory: String
    public var logPath: String
    public var outcomePath: String
    public var timeout: Double?
    public var fence: Fence?

    public init(arguments: [String], workingDirectory: String, logPath: String, outcomePath: String, timeout: Double?, fence: Fence?) {
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.logPath = logPath
        self.outcomePath = outcomePath
        self.timeout = timeout
        self.fence = fence
    }

    public var json: JSON {
        var o: [String: JSON] = ["format": .string(Self.format), "arguments": .array(arguments.map { .string($0) }),
                                 "cwd": .string(workingDirectory), "log": .string(logPath), "outcome": .string(outcomePath)]
        if let timeout { o["timeout"] = .number(timeout) }
        if let fence { o["fence"] = .object(["read_only": .string(fence.readOnly), "writable": .string(fence.writable)]) }
        return .object(o)
    }

    public init?(json j: JSON) {
        guard j["format"]?.string == Self.format, let args = j["arguments"]?.array?.compactMap(\.string), !args.isEmpty,
              args.count == j["arguments"]?.array?.count, let cwd = j["cwd"]?.string, let log = j["log"]?.string,
              let outcome = j["outcome"]?.string else { return nil }
        var fence: Fence?
        if let f = j["fence"] {
            guard let ro = f["read_only"]?.string, let rw = f["writable"]?.string else { return nil }
            fence = Fence(readOnly: ro, writable: rw)
        }
        let timeout = j["timeout"]?.double
        if j["timeout"] != nil, !(timeout.map { $0 > 0 && $0.isFinite } ?? false) { return nil }
        self.init(arguments: args, workingDirectory: cwd, logPath: log, outcomePath: outcome, timeout: timeout, fence: fence)
    }
}

/// How a node job ended, as `loom exec-job` writes it (format "loom-node-outcome 1", JSON:
/// `{"format", "outcome": succeeded|exited|signalled|timed_out|cancelled|could_not_start, "value"?, "note"?}`).
public struct NodeOutcome: Equatable, Sendable {
    public static let format = "loom-node-outcome 1"
    public var outcome: JobOutcome
    /// Why the task ran with weaker isolation than asked, if it did.
    public var note: String?

    public init(outcome: JobOutcome, note: String?) {
        self.outcome = outcome
        self.note = note
    }

    public var json: JSON {
        var o: [String: JSON] = ["format": .string(Self.format)]
        switch outcome {
        case .succeeded: o["outcome"] = .string("succeeded")
        case .exited(let c): o["outcome"] = .string("exited"); o["value"] = .int(Int(c))
        case .signalled(let s): o["outcome"] = .string("signalled"); o["value"] = .int(Int(s))
        case .timedOut(let t): o["outcome"] = .string("timed_out"); o["value"] = .number(t)
        case .cancelled: o["outcome"] = .string("cancelled")
        case .couldNotStart(let m), .killed(let m), .lost(let m): o["outcome"] = .string("could_not_start"); o["value"] = .string(m)
        }
        if let note { o["note"] = .string(note) }
        return .object(o)
    }

    public init?(json j: JSON) {
        guard j["format"]?.string == Self.format, let kind = j["outcome"]?.string else { return nil }
        let v = j["value"]
        switch kind {
        case "succeeded": outcome = .succeeded
        case "exited": guard let c = v?.int, c > 0, c < 256 else { return nil }; outcome = .exited(Int32(c))
        case "signalled": guard let s = v?.int, s > 0, s < 128 else { return nil }; outcome = .signalled(Int32(s))
        case "timed_out": guard let t = v?.double, t > 0 else { return nil }; outcome = .timedOut(t)
        case "cancelled": outcome = .cancelled
        case "could_not_start": guard let m = v?.string else { return nil }; outcome = .couldNotStart(m)
        default: return nil
        }
        note = j["note"]?.string
    }

    /// The outcome file's contents, or nil if it is absent or not an outcome.
    public static func read(_ path: String) -> NodeOutcome? {
        guard let bytes = try? FileSystem.readBytes(path), let j = try? JSON.parse(bytes) else { return nil }
        return NodeOutcome(json: j)
    }
}

/// A task described without the submitting machine's paths, for a node that shares no file
/// system with it: the node fetches the inputs (by key) and declared files (by digest) from the
/// remote cache, runs the task in a directory of its own, and pushes the output under the task's
/// key before it reports (`loom exec-job` in remote mode; `SlurmRunner` with a remote).
///
/// Format "loom-node-task 1", JSON: `{"format", "task", "name" (the job objects' name), "remote":
/// {"url", "endpoint"?, "region"?}, "work_dir", "timeout"?, "manifest" (its key is the task's),
/// "inputs": [{"name", "key", "artifact"}], "files": [{"path", "digest", "size"}], and either
/// "command" + "env" (a shell task) or "kind" + "params" (a built-in kind)}`.
public struct PortableTask: Equatable, Sendable {
    public static let format = "loom-node-task 1"
    public struct Input: Equatable, Sendable {
        public var name: String
        public var key: CacheKey
        public var artifact: Digest
        public init(name: String, key: CacheKey, artifact: Digest) {
            self.name = name
            self.key = key
            self.artifact = artifact
        }
    }
    public struct File: Equatable, Sendable {
        public var path: String
        public var digest: Digest
        public var size: Int64
        public init(path: String, digest: Digest, size: Int64) {
            self.path = path
            self.digest = digest
            self.size = size
        }
    }
    public struct RemoteLocation: Equatable, Sendable {
        public var url: String
        public var endpoint: String?
        public var region: String?
        public init(url: String, endpoint: String?, region: String?) {
            self.url = url
            self.endpoint = endpoint
            self.region = region
        }
    }

    public var task: String
    public var manifest: KeyManifest
    public var inputs: [Input]
    public var files: [File]
    /// A shell task's rendered command and extra environment; nil for a built-in kind.
    public var command: String?
    public var env: [String: String]
    /// A built-in kind's resolved params (the manifest's kind is the kind).
    public var params: [String: ParamValue]
    /// Set by the runner: where the node finds the remote, its job objects' name, its directory.
    public var remote = RemoteLocation(url: "", endpoint: nil, region: nil)
    public var name = ""
    public var workDirectory = "/tmp"
    public var timeout: Double?

    public init(task: String, manifest: KeyManifest, inputs: [Input], files: [File], command: String?, env: [String: String], params: [String: ParamValue]) {
        self.task = task
        self.manifest = manifest
        self.inputs = inputs
        self.files = files
        self.command = command
        self.env = env
        self.params = params
    }

    public var json: JSON {
        var r: [String: JSON] = ["url": .string(remote.url)]
        if let e = remote.endpoint { r["endpoint"] = .string(e) }
        if let g = remote.region { r["region"] = .string(g) }
        var o: [String: JSON] = [
            "format": .string(Self.format), "task": .string(task), "name": .string(name), "remote": .object(r),
            "work_dir": .string(workDirectory), "manifest": manifest.json,
            "inputs": .array(inputs.map { .object(["name": .string($0.name), "key": .string($0.key.hex), "artifact": .string($0.artifact.hex)]) }),
            "files": .array(files.map { .object(["path": .string($0.path), "digest": .string($0.digest.hex), "size": .int(Int($0.size))]) }),
        ]
        if let command {
            o["command"] = .string(command)
            o["env"] = .object(env.mapValues { .string($0) })
        } else {
            o["kind"] = .string(manifest.kind)
            o["params"] = .object(params.mapValues(\.json))
        }
        if let timeout { o["timeout"] = .number(timeout) }
        return .object(o)
    }

    public init?(json j: JSON) {
        guard j["format"]?.string == Self.format, let task = j["task"]?.string, let name = j["name"]?.string,
              let url = j["remote"]?["url"]?.string, let work = j["work_dir"]?.string, work.hasPrefix("/"),
              let mj = j["manifest"], let m = KeyManifest(json: mj),
              let ins = j["inputs"]?.array, let fs = j["files"]?.array else { return nil }
        var inputs: [Input] = []
        for i in ins {
            guard let n = i["name"]?.string, let k = i["key"]?.string.flatMap(Digest.init(hex:)), let a = i["artifact"]?.string.flatMap(Digest.init(hex:)),
                  m.inputs[n] == a else { return nil }   // every input is one the key names
            inputs.append(Input(name: n, key: CacheKey(k), artifact: a))
        }
        var files: [File] = []
        for f in fs {
            guard let p = f["path"]?.string, let d = f["digest"]?.string.flatMap(Digest.init(hex:)), let s = f["size"]?.int, s >= 0,
                  m.files[p] == d, !p.hasPrefix("/"), !p.split(separator: "/").contains("..") else { return nil }
            files.append(File(path: p, digest: d, size: Int64(s)))
        }
        guard inputs.count == m.inputs.count, files.count == m.files.count else { return nil }
        let command = j["command"]?.string
        if command == nil && j["kind"]?.string != m.kind { return nil }
        self.init(task: task, manifest: m, inputs: inputs, files: files, command: command,
                  env: (j["env"]?.object ?? [:]).compactMapValues(\.string), params: (j["params"]?.object ?? [:]).mapValues(ParamValue.init(json:)))
        remote = RemoteLocation(url: url, endpoint: j["remote"]?["endpoint"]?.string, region: j["remote"]?["region"]?.string)
        self.name = name
        workDirectory = work
        timeout = j["timeout"]?.double
    }
}

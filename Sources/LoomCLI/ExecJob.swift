import ArgumentParser
import Foundation
import LoomCore
#if canImport(Glibc)
import Glibc
#endif

/// Internal: runs one cluster job where the scheduler started it, under the same supervisor as a
/// local run, and reports how it ended. Two forms:
/// - `loom exec-job FILE` (a `NodeJob`, shared file system): runs the command, writes the
///   outcome file beside the job file.
/// - `loom exec-job -` (a `PortableTask` on stdin, no shared file system): in a directory of its
///   own under the task's `work_dir`, fetches the inputs and declared files from the remote cache
///   (every byte checked), runs the task, commits its output to a node-local store and pushes it
///   under the task's key (blobs first, key last); then puts the task's log and outcome in the
///   remote (`jobs/NAME.log`, `jobs/NAME.outcome`, outcome last) and removes the directory.
/// Exits with the task's exit status (128 + the signal for a killed task, 1 otherwise).
struct ExecJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-job", abstract: "Internal: run one cluster job file on its node.", shouldDisplay: false)

    @Argument var jobFile: String

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = jobFile == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : try FileSystem.readBytes(jobFile)
        } catch { throw CLIExit(.environment, "loom exec-job: \(error)") }
        guard let j = try? JSON.parse(bytes) else { throw CLIExit(.invalid, "loom exec-job: \(jobFile) is not JSON") }
        let outcome: JobOutcome
        if let spec = NodeJob(json: j) {
            let job = Job(task: TaskID("job"), attempt: 1, arguments: spec.arguments, environment: ProcessInfo.processInfo.environment,
                          workingDirectory: spec.workingDirectory, logPath: spec.logPath, timeout: spec.timeout, fence: spec.fence)
            let (o, note) = Self.supervise(job)
            outcome = o
            do {
                try FileSystem.writeAtomically(spec.outcomePath, NodeOutcome(outcome: o, note: note).json.encoded())
            } catch {
                throw CLIExit(.environment, "loom exec-job: cannot write the outcome: \(error)")
            }
        } else if let task = PortableTask(json: j) {
            outcome = try Self.runPortable(task)
        } else {
            throw CLIExit(.invalid, "loom exec-job: \(jobFile) is neither a \(NodeJob.format) nor a \(PortableTask.format) file")
        }
        switch outcome {
        case .succeeded: return
        case .exited(let c): Foundation.exit(c)
        case .signalled(let s): Foundation.exit(128 + s)
        default: Foundation.exit(1)
        }
    }

    /// Runs `job` under `ProcessRunner`; SIGTERM (scancel, Slurm's time limit), SIGINT and SIGHUP
    /// stop the task's processes first.
    static func supervise(_ job: Job) -> (JobOutcome, String?) {
        let runner = ProcessRunner()
        let ended = DispatchSemaphore(value: 0)
        let box = OutcomeBox()
        let handle = runner.start(job) { o in box.set(o); ended.signal() }
        let sources = onStopSignals { handle.cancel() }
        ended.wait()
        for s in sources { s.cancel() }
        return (box.get() ?? .couldNotStart("no outcome"), runner.isolationNote)
    }

    /// SIGTERM (scancel), SIGINT and SIGHUP no longer end the process: `handler` runs instead,
    /// until the returned sources are cancelled.
    static func onStopSignals(_ handler: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT, SIGHUP].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler(handler: handler)
            s.resume()
            return s
        }
    }

    /// The remote form (see the type's documentation).
    static func runPortable(_ t: PortableTask) throws -> JobOutcome {
        let remote: RemoteCache
        do {
            remote = try RemoteSetup.s3(ProjectFile.Remote(name: "job", url: t.remote.url, endpoint: t.remote.endpoint, region: t.remote.region))
        } catch {
            throw CLIExit(.remoteUnavailable, "loom exec-job: the remote cache \(t.remote.url) cannot be used: \(error)")
        }
        try FileSystem.makeDirectories(t.workDirectory)
        var template = Array((t.workDirectory + "/loom-node-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CLIExit(.environment, "loom exec-job: cannot create a directory in \(t.workDirectory)") }
        let dir = String(cString: made)
        defer { FileSystem.removeTree(dir) }
        // scancel sends SIGTERM: before the task starts (while inputs download) it must not end
        // the process outright, which would leave this directory on the node. It is noted here
        // and checked between steps; while the task runs, `supervise` stops it.
        let cancelled = CancelFlag()
        let watchers = onStopSignals { cancelled.set() }
        defer { for w in watchers { w.cancel() } }
        func checkCancelled() throws { if cancelled.isSet { throw KindError("cancelled (signal) before the task started") } }
        let logPath = dir + "/task.log"
        var outcome: JobOutcome
        var note: String?
        do {
            let store = try LocalStore(root: dir + "/store")
            let tier = RemoteTier(local: store, remote: remote)
            var inputs: [(name: String, path: String)] = []
            for i in t.inputs {
                try checkCancelled()
                guard let e = tier.pull(i.key), e.artifact == i.artifact else {
                    throw KindError("input '\(i.name)' (key \(i.key.short)) is not in the remote cache" + (tier.unreachable.map { ": \($0)" } ?? ""))
                }
                inputs.append((i.name, store.location(of: e.artifact)))
            }
            let root = dir + "/root"
            try FileSystem.makeDirectories(root)
            for f in t.files {
                try checkCancelled()
                let path = root + "/" + f.path
                try FileSystem.makeDirectories(FileSystem.parent(of: path))
                guard try remote.blob(f.digest, size: f.size, to: path), (try? FileHasher.digest(ofFile: path)) == f.digest else {
                    throw KindError("declared file '\(f.path)' is not in the remote cache with its digest \(f.digest.short)")
                }
            }
            let inDir = dir + "/in"
            try InputLinks.update(inDir, inputs)
            let out = try store.makeStaging(label: "out")
            var env = ProcessInfo.processInfo.environment
            let arguments: [String]
            if let command = t.command {
                for (k, v) in t.env { env[k] = v }
                arguments = ["/bin/sh", "-c", command]
            } else {
                let invocation = BuiltinInvocation(kind: t.manifest.kind, params: t.params, inputs: inputs, output: out, root: root, files: t.files.map(\.path))
                try FileSystem.writeAtomically(dir + "/builtin.json", invocation.json.encoded(pretty: true))
                arguments = [selfExecutable(), "exec-builtin", dir + "/builtin.json"]
            }
            env["LOOM_OUT"] = out
            env["LOOM_IN"] = inDir
            env["LOOM_TASK"] = t.task
            env["LOOM_ROOT"] = root
            let job = Job(task: TaskID(t.task), attempt: 1, arguments: arguments, environment: env, workingDirectory: root,
                          logPath: logPath, timeout: t.timeout, fence: Fence(readOnly: store.root, writable: out))
            try checkCancelled()
            (outcome, note) = supervise(job)
            if outcome == .succeeded {
                for o in t.manifest.outputs where !FileSystem.exists(out + "/" + o) {
                    throw KindError("declared output '\(o)' was not written to $LOOM_OUT")
                }
                let digest = try store.commit(staging: out)
                tier.push(ActionEntry(key: t.manifest.key, artifact: digest, manifest: t.manifest))
                if let problem = tier.unreachable { throw KindError("cannot push the output: \(problem)") }
            }
        } catch {
            outcome = .couldNotStart("\(error)")
            let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 { _ = "loom exec-job: \(error)\n".withCString { write(fd, $0, strlen($0)) }; close(fd) }
        }
        // The log first, the outcome last: the submitting Loom reads the outcome as "done".
        var log = (try? FileSystem.readBytes(logPath)) ?? []
        if log.count > 1 << 20 { log = Array("[... the first \(log.count - (1 << 20)) bytes are in the node's log only]\n".utf8) + log.suffix(1 << 20) }
        do {
            try remote.putJobObject(t.name + ".log", log)
            try remote.putJobObject(t.name + ".outcome", Array(NodeOutcome(outcome: outcome, note: note).json.encoded().utf8))
        } catch {
            throw CLIExit(.remoteUnavailable, "loom exec-job: cannot report to the remote cache: \(error)")
        }
        return outcome
    }
}

private final class CancelFlag: @unchecked Sendable {   // `value` under `lock`
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

private final class OutcomeBox: @unchecked Sendable {   // `value` under `lock`
    private let lock = NSLock()
    private var value: JobOutcome?
    func set(_ o: JobOutcome) { lock.lock(); value = o; lock.unlock() }
    func get() -> JobOutcome? { lock.lock(); defer { lock.unlock() }; return value }
}

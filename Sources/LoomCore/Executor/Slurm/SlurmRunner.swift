import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where and how the Slurm runner submits (`slurm:` in `loom.yaml`, and the run's options).
public struct SlurmSettings: Sendable {
    public var partition: String?
    public var account: String?
    /// `sbatch` options for every job (each checked by `SlurmOptions.problem`).
    public var options: [String] = []
    /// The `loom` binary as the nodes see it (the same path on a shared file system).
    public var loom: String
    /// Where job scripts, job files and outcome files go; on a file system the nodes share.
    public var directory: String
    /// Polling: the first poll after a change comes after `minPoll` seconds, and each quiet one
    /// waits 1.5 times longer, up to `maxPoll` (a busy cluster's controller is not hammered by
    /// a long run; a short one notices a finished job within a quarter of a second).
    public var minPoll = 0.25
    public var maxPoll = 5.0
    /// Without a shared file system: the remote cache the nodes fetch inputs from and push
    /// outputs to, where the nodes find it, and the directory on the nodes to work in.
    public var remote: RemoteTier?
    public var remoteLocation: PortableTask.RemoteLocation?
    public var nodeDirectory = "/tmp"

    public init(loom: String, directory: String) {
        self.loom = loom
        self.directory = directory
    }
}

/// Runs each job as a Slurm batch job: `sbatch --parsable` submits a script that runs
/// `loom exec-job FILE` on the node (the same supervisor as a local run: the store fenced off,
/// every process of the task killed before it reports, the task's own timeout), and one poller
/// thread watches every job of the run with one `squeue` call per poll. The job's output is
/// appended to the task's log. `cancel` is `scancel`.
///
/// How a job ended: COMPLETED or FAILED means the script ran to its end, and the task's outcome is
/// the one `exec-job` wrote (exit status, signal, timeout); TIMEOUT, OUT_OF_MEMORY and DEADLINE
/// are final kills (`JobOutcome.killed`); NODE_FAIL, BOOT_FAIL and PREEMPTED are losses the engine
/// retries (`JobOutcome.lost`). A job Slurm no longer knows (older than `MinJobAge`) is read from
/// its outcome file. Jobs are submitted with `--no-requeue`: Slurm must never run a task a second
/// time into the same output directory; Loom retries in a fresh one.
///
/// Concurrency: `active` and `note` are under `lock`; submissions run in order on `submitQueue`;
/// the poller thread only reads a snapshot of `active` and reports outcomes.
public final class SlurmRunner: TaskRunner, @unchecked Sendable {   // mutable state under `lock` (see above)
    public let settings: SlurmSettings
    private let lock = NSLock()
    private var active: [String: SlurmJob] = [:]
    private var polling = false
    private var note: String?
    private let submitQueue = DispatchQueue(label: "loom.slurm.submit")
    /// Every job id this runner submitted, in order (for tests and the record).
    public private(set) var submitted: [String] = []

    public init(settings: SlurmSettings) {
        self.settings = settings
    }

    public var isolationNote: String? { lock.lock(); defer { lock.unlock() }; return note }
    public var wantsPortableTasks: Bool { settings.remote != nil }

    public func start(_ job: Job, onExit: @escaping @Sendable (JobOutcome) -> Void) -> RunningJob {
        let handle = SlurmJob(runner: self, onExit: onExit)
        submitQueue.async { self.submit(job, handle) }
        return handle
    }

    /// The sbatch command line for `job` whose script is `script`.
    func sbatchArguments(_ job: Job, script: String) -> [String] {
        // Without a shared file system the job starts in the nodes' directory and its own output
        // stays there (the task's log comes back through the remote).
        let (output, chdir) = settings.remote == nil ? (job.logPath, job.workingDirectory)
            : (settings.nodeDirectory + "/loom-%j.out", settings.nodeDirectory)
        var a = ["sbatch", "--parsable", "--no-requeue", "--export=ALL", "--open-mode=append",
                 "--job-name=loom:\(job.dag):\(job.task.name)", "--output=\(output)", "--chdir=\(chdir)"]
        let r = job.resources
        if let c = r.cpus { a.append("--cpus-per-task=\(c)") }
        if let m = r.memoryBytes { a.append("--mem=\((m + (1 << 20) - 1) >> 20)M") }
        // Slurm counts time in minutes. Without a time request, a task's own timeout (enforced on
        // the node by exec-job) plus a minute is the job's limit, so Slurm's kill is only a backstop.
        if let s = r.seconds ?? job.timeout.map({ $0 + 60 }) { a.append("--time=\(Int((s / 60).rounded(.up)))") }
        if let p = r.partition ?? settings.partition { a.append("--partition=\(p)") }
        if let acc = r.account ?? settings.account { a.append("--account=\(acc)") }
        a += settings.options + r.sbatch
        a.append(script)
        return a
    }

    private func submit(_ job: Job, _ handle: SlurmJob) {
        if handle.cancelRequested { return handle.finish(.cancelled) }
        let base = "\(settings.directory)/\(job.task.name).\(job.attempt).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        handle.files = [base + ".sh", base + ".job.json", base + ".outcome"]
        handle.timeLimit = job.resources.seconds ?? job.timeout.map { $0 + 60 }
        handle.logPath = job.logPath
        var script = "#!/bin/sh\n# Loom task '\(job.task.name)', attempt \(job.attempt)\n"
        let result: Command.Result
        do {
            try FileSystem.makeDirectories(settings.directory)
            if settings.remote != nil {
                // The job file travels inside the script (Slurm copies it to the node).
                let task = try prepareRemote(job, handle)
                script += "exec \(shellQuote(settings.loom)) exec-job - <<'LOOM_NODE_TASK'\n\(task.json.encoded())\nLOOM_NODE_TASK\n"
            } else {
                let spec = NodeJob(arguments: job.arguments, workingDirectory: job.workingDirectory, logPath: job.logPath,
                                   outcomePath: base + ".outcome", timeout: job.timeout, fence: job.fence)
                try FileSystem.writeAtomically(base + ".job.json", spec.json.encoded(pretty: true))
                script += "exec \(shellQuote(settings.loom)) exec-job \(shellQuote(base + ".job.json"))\n"
            }
            try FileSystem.writeAtomically(base + ".sh", script)
            var env = job.environment
            if env["PATH"] == nil { env["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
            result = try Command.run(sbatchArguments(job, script: base + ".sh"), environment: env)
        } catch {
            return handle.finish(.couldNotStart("\(error)"))
        }
        let id = result.output.split(separator: "\n").first.map { String($0.split(separator: ";")[0]) } ?? ""
        guard result.succeeded, !id.isEmpty, id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 || $0 == 0x5F }) else {
            let said = (result.errors + result.output).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }.joined(separator: "; ")
            return handle.finish(.couldNotStart("sbatch refused the job (exit status \(result.status)): \(said.isEmpty ? "no message" : said)"))
        }
        lock.lock()
        submitted.append(id)
        active[id] = handle
        let startPoller = !polling
        polling = true
        lock.unlock()
        if handle.started(id: id) { cancel(id) }
        if startPoller {
            let t = Thread { self.poll() }
            t.stackSize = 1 << 18
            t.start()
        }
    }

    /// Remote mode, before submitting: the task's inputs and declared files are put in the
    /// remote (what it has is skipped), and the node's job file is made.
    private func prepareRemote(_ job: Job, _ handle: SlurmJob) throws -> PortableTask {
        guard var task = job.portable, let tier = settings.remote, let location = settings.remoteLocation else {
            throw InternalError("a job without its portable task, or no remote")
        }
        for input in task.inputs {
            // An input run on a node this run is in the remote already (its key entry here may
            // still be queued in the group commit); one from an earlier run is in the local store.
            if let bytes = try tier.remote.entry(input.key), RemoteEntry.decode(bytes, key: input.key)?.artifact == input.artifact { continue }
            guard let entry = tier.local.lookup(input.key), entry.artifact == input.artifact else {
                throw InternalError("input '\(input.name)' is neither in the remote cache nor in the local store's keys")
            }
            tier.push(entry)
        }
        for f in task.files where try !tier.remote.hasBlob(f.digest) {
            try tier.remote.putBlob(f.digest, from: job.workingDirectory + "/" + f.path)
        }
        if let problem = tier.unreachable { throw InternalError(problem) }
        task.name = (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 16) }.joined(separator: "-")
        task.remote = location
        task.workDirectory = settings.nodeDirectory
        task.timeout = job.timeout
        handle.objectName = task.name
        handle.staging = job.environment["LOOM_OUT"] ?? ""
        handle.key = task.manifest.key
        return task
    }

    /// Remote mode, after the job ended: its outcome and log from the remote, and on success the
    /// artifact it pushed, rebuilt (checked) in the task's output directory for the engine to
    /// commit. Runs on a worker, not the poller.
    private func collect(_ handle: SlurmJob, id: String, tier: RemoteTier) -> JobOutcome {
        let name = handle.objectName
        defer {
            try? tier.remote.deleteJobObject(name + ".outcome")
            try? tier.remote.deleteJobObject(name + ".log")
        }
        do {
            if let log = try tier.remote.jobObject(name + ".log") {
                let fd = open(handle.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                if fd >= 0 { _ = log.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }; close(fd) }
            }
            guard let bytes = try tier.remote.jobObject(name + ".outcome"), let j = try? JSON.parse(bytes), let o = NodeOutcome(json: j) else {
                return .couldNotStart("Slurm job \(id) ended without reporting to the remote cache; is '\(settings.loom)' reachable on the node, "
                                      + "and the remote with the job's environment? (node_dir \(settings.nodeDirectory) must exist on the node; see loom-\(id).out there)")
            }
            if let n = o.note { warnOnce(n) }
            guard o.outcome == .succeeded else { return o.outcome }
            guard let key = handle.key, let entryBytes = try tier.remote.entry(key), let e = RemoteEntry.decode(entryBytes, key: key) else {
                return .couldNotStart("Slurm job \(id) succeeded but the remote cache has no artifact for its key")
            }
            try tier.materialize(e.listing, into: handle.staging)
            return .succeeded
        } catch {
            return .couldNotStart("Slurm job \(id): cannot fetch its result from the remote cache: \(error)")
        }
    }

    /// `scancel ID` (in the background; the poller sees the job end as CANCELLED).
    func cancel(_ id: String) {
        DispatchQueue.global().async { _ = try? Command.run(["scancel", id]) }
    }

    /// The poller: runs while any job is active.
    private func poll() {
        var interval = settings.minPoll
        var missing: [String: Int] = [:]
        var failures = 0
        while true {
            usleep(UInt32(interval * 1e6))
            lock.lock()
            let ids = active.keys.sorted()
            if ids.isEmpty { polling = false; lock.unlock(); return }
            lock.unlock()
            var states: [String: SlurmJobState] = [:]
            var ok = true
            for chunk in stride(from: 0, to: ids.count, by: 200).map({ Array(ids[$0..<min(ids.count, $0 + 200)]) }) {
                guard let r = try? Command.run(["squeue", "--noheader", "--states=all", "--jobs=" + chunk.joined(separator: ","),
                                                "--Format=" + SlurmJobState.format]) else { ok = false; break }
                if r.succeeded {
                    states.merge(SlurmJobState.parseAll(r.output)) { a, _ in a }
                } else if !r.errors.contains("Invalid job id") {
                    ok = false
                    break
                }
            }
            if !ok {
                // The controller did not answer: try again later (a restart of slurmctld keeps the jobs).
                failures += 1
                interval = min(settings.maxPoll, max(interval, 1) * 1.5)
                if failures == 12 { warn("squeue has not answered for a while; still waiting for the jobs") }
                continue
            }
            failures = 0
            var changed = false
            for id in ids {
                lock.lock()
                let handle = active[id]
                lock.unlock()
                guard let handle else { continue }
                var outcome: JobOutcome?
                if let s = states[id] {
                    missing[id] = nil
                    switch s.phase {
                    case .active:
                        if handle.observe(s.state) { changed = true }
                    case .ended where settings.remote != nil:
                        let tier = settings.remote!
                        lock.lock()
                        active[id] = nil
                        lock.unlock()
                        changed = true
                        DispatchQueue.global().async { handle.finish(self.collect(handle, id: id, tier: tier)) }
                        continue
                    case .ended:
                        if let o = NodeOutcome.read(handle.files[2]) {
                            if let n = o.note { warnOnce(n) }
                            outcome = o.outcome
                        } else if handle.noteMissingOutcome() >= 3 {
                            // The script ended but exec-job never wrote an outcome: it did not start.
                            let code = s.waitStatus.map { ($0 >> 8) & 0xff } ?? -1
                            outcome = .couldNotStart("Slurm job \(id) ended (exit status \(code)) before the task started; "
                                                     + "is '\(settings.loom)' reachable on the node? (see the log)")
                        }
                    case .cancelled:
                        outcome = handle.cancelRequested ? .cancelled : .killed("cancelled outside Loom (Slurm job \(id), \(s.reason))")
                    case .killed(let why):
                        let limit = s.state.hasPrefix("TIMEOUT") ? handle.timeLimit.map { " (\(Int(($0 / 60).rounded(.up)))m)" } ?? "" : ""
                        outcome = .killed("\(why)\(limit) (Slurm job \(id))")
                    case .lost(let why):
                        outcome = .lost("\(why) (Slurm job \(id))")
                    }
                } else {
                    // Not listed: Slurm has forgotten it (older than MinJobAge) or not shown it yet.
                    missing[id, default: 0] += 1
                    if settings.remote == nil, let o = NodeOutcome.read(handle.files[2]) {
                        outcome = o.outcome
                    } else if missing[id]! >= 3 {
                        outcome = handle.cancelRequested ? .cancelled : .lost("lost: Slurm job \(id) disappeared without an outcome")
                    }
                }
                if let outcome {
                    changed = true
                    missing[id] = nil
                    lock.lock()
                    active[id] = nil
                    lock.unlock()
                    handle.finish(outcome)
                }
            }
            interval = changed ? settings.minPoll : min(settings.maxPoll, interval * 1.5)
        }
    }

    private func warnOnce(_ n: String) {
        lock.lock()
        if note == nil { note = n }
        lock.unlock()
    }

    private func warn(_ message: String) {
        FileHandle.standardError.write(Data("loom: warning: \(message)\n".utf8))
    }
}

/// One submitted job. `id`, `cancelRequested`, `finished` and `missingOutcome` are under `lock`;
/// `files`, `timeLimit` and `logPath` are set once on the submit queue before the job is shared.
final class SlurmJob: RunningJob, @unchecked Sendable {   // see above
    private let lock = NSLock()
    private weak var runner: SlurmRunner?
    private let onExit: @Sendable (JobOutcome) -> Void
    private var id: String?
    private var cancelled = false
    private var done = false
    private var missingOutcome = 0
    private var lastState = ""
    var files: [String] = []
    var timeLimit: Double?
    var logPath = ""
    /// Remote mode: the job objects' name, the task's output directory here, its key.
    var objectName = ""
    var staging = ""
    var key: CacheKey?

    init(runner: SlurmRunner, onExit: @escaping @Sendable (JobOutcome) -> Void) {
        self.runner = runner
        self.onExit = onExit
    }

    var cancelRequested: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }

    /// Records the job id; true if a cancel came in while it was being submitted.
    func started(id: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        self.id = id
        return cancelled
    }

    func cancel() {
        lock.lock()
        guard !done, !cancelled else { lock.unlock(); return }
        cancelled = true
        let id = self.id
        lock.unlock()
        if let id { runner?.cancel(id) }
    }

    /// Whether the state changed since the last poll.
    func observe(_ state: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        defer { lastState = state }
        return state != lastState
    }

    func noteMissingOutcome() -> Int {
        lock.lock(); defer { lock.unlock() }
        missingOutcome += 1
        return missingOutcome
    }

    func finish(_ outcome: JobOutcome) {
        lock.lock()
        guard !done else { lock.unlock(); return }
        done = true
        lock.unlock()
        for f in files { unlink(f) }
        onExit(outcome)
    }
}

/// A word for `/bin/sh`: single-quoted, with `'` spelled `'\''`.
func shellQuote(_ s: String) -> String {
    "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

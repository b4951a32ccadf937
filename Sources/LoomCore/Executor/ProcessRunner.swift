import CLoomSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs each job as a child process in its own process group (so a timeout, a failure elsewhere
/// or Ctrl-C stops the whole group), with stdin from /dev/null and stdout and stderr appended to
/// the job's log, under a supervisor (`CLoomSystem/spawn.c`) that:
/// - fences the job off from the store: in new mount and PID namespaces (as root, or inside a
///   user namespace for other users) the job's `fence.readOnly` is mounted read-only except its
///   output directory, so no process of the task can change a stored artifact;
/// - kills every process of the task before it reports the task's exit (PID 1 of the namespace,
///   or a child subreaper without namespaces), so nothing writes into the output after Loom has
///   started hashing it.
/// Where the kernel refuses namespaces the runner falls back to a plain supervised child, says so
/// once (`isolationNote`), and the engine's input check after each task still catches changes.
///
/// Waiting: libdispatch's pool runs only a few *blocking* work items at once, so no GCD worker is
/// parked in `waitpid`; each child gets a small dedicated thread that only waits for it and posts
/// the outcome.
public final class ProcessRunner: TaskRunner, @unchecked Sendable {   // mutable state under `lock`
    /// Seconds between SIGTERM and SIGKILL when stopping a group.
    public var gracePeriod: Double = 3

    public enum Isolation: Int32, Sendable { case none = 0, namespaces = 1, userNamespaces = 2 }

    private let lock = NSLock()
    private var level: Isolation
    private var note: String?

    /// `LOOM_ISOLATION=none` turns the namespaces off (for tests of the fallback, and kernels
    /// where they misbehave).
    public init(isolation: Isolation? = nil) {
        if let isolation {
            level = isolation
        } else if Environment.value("LOOM_ISOLATION") == "none" {
            level = .none
            note = "task isolation is off (LOOM_ISOLATION=none): tasks can write the store; inputs are checked after each task"
        } else {
            level = geteuid() == 0 ? .namespaces : .userNamespaces
        }
    }

    /// The machine's memory: tasks' `resources.memory` requests share it.
    public var memoryBudget: Int64? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? Int64(pages) * Int64(size) : nil
    }

    /// The isolation in force for the next job.
    public var isolation: Isolation { lock.lock(); defer { lock.unlock() }; return level }
    /// Why isolation is weaker than asked, if it is (for one warning per run).
    public var isolationNote: String? { lock.lock(); defer { lock.unlock() }; return note }

    public func start(_ job: Job, onExit: @escaping @Sendable (JobOutcome) -> Void) -> RunningJob {
        let handle = ProcessJob(gracePeriod: gracePeriod)
        do {
            let (pid, statusFD, stack) = try spawn(job)
            // The address only, handed to the one waiter thread that frees it.
            let stackAddress = UInt(bitPattern: stack)
            handle.started(pid: pid)
            if let t = job.timeout {
                DispatchQueue.global().asyncAfter(deadline: .now() + t) { handle.expire(after: t) }
            }
            let thread = Thread {
                // The supervisor passes the program's own wait status up once every other process
                // of the task is gone, then exits: the task is over when the status arrives, and
                // the supervisor's exit (tearing down its namespaces) is waited for after.
                var programStatus: Int32 = 0
                var n: Int
                repeat { n = read(statusFD, &programStatus, 4) } while n < 0 && errno == EINTR
                close(statusFD)
                var status: Int32 = 0
                func reap() {
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    loom_spawn_release(UnsafeMutableRawPointer(bitPattern: stackAddress))   // the supervisor is gone: its stack can go
                }
                if n == 4 {
                    kill(-pid, SIGKILL)   // what is left of the group: the exiting supervisor
                    onExit(handle.outcome(status: programStatus))
                    reap()
                } else {
                    // Killed outright (SIGKILL at the end of a grace period) before reporting: its
                    // exit kills what is left in its PID namespace; without one, stragglers in
                    // the group must not touch $LOOM_OUT.
                    reap()
                    kill(-pid, SIGKILL)
                    onExit(handle.outcome(status: status))
                }
            }
            thread.stackSize = 1 << 16
            thread.start()
        } catch {
            onExit(.couldNotStart("\(error)"))
        }
        return handle
    }

    /// Starts the job at the current isolation level, stepping down when the kernel refuses it.
    private func spawn(_ job: Job) throws -> (pid_t, Int32, UnsafeMutableRawPointer?) {
        let logFD = open(job.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw FileSystem.fail("cannot open log", job.logPath) }
        defer { close(logFD) }
        let argv: [UnsafeMutablePointer<CChar>?] = job.arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = job.environment.keys.sorted().map { strdup("\($0)=\(job.environment[$0]!)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        while true {
            let current = isolation
            var pid: pid_t = 0, statusFD: Int32 = -1, stage: Int32 = 0
            var stack: UnsafeMutableRawPointer?
            let rc: Int32 = job.arguments[0].withCString { path in
                job.workingDirectory.withCString { cwd in
                    withOptionalCString(job.fence?.readOnly) { ro in
                        withOptionalCString(job.fence?.writable) { rw in
                            argv.withUnsafeBufferPointer { a in
                                envp.withUnsafeBufferPointer { e in
                                    var r = loom_spawn_request(path: path, argv: a.baseAddress, envp: e.baseAddress, cwd: cwd, log_fd: logFD,
                                                               isolation: current.rawValue, read_only: ro, writable: rw)
                                    return loom_spawn(&r, &pid, &statusFD, &stage, &stack)
                                }
                            }
                        }
                    }
                }
            }
            if rc == 0 { return (pid, statusFD, stack) }
            // Stages 0-2 are the namespaces (clone, user map, mounts): the kernel or its policy
            // said no. Step down and say so once; the job itself has not started.
            if current != .none, stage <= 2 {
                lock.lock()
                let weaker: Isolation = current == .namespaces && geteuid() != 0 ? .userNamespaces : .none
                if level == current {
                    level = weaker
                    let step = ["creating namespaces", "mapping the user", "mounting the store read-only"][Int(stage)]
                    note = "task isolation unavailable (\(step): \(String(cString: strerror(rc)))): tasks can write the store; inputs are checked after each task"
                }
                lock.unlock()
                continue
            }
            throw FileSystem.Failure(path: job.arguments[0], operation: "cannot run", errno: rc)
        }
    }
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

/// A running child: its group can be stopped; records why it was stopped.
final class ProcessJob: RunningJob, @unchecked Sendable {   // `pid`, `finished`, `stopReason` under `lock`
    private let lock = NSLock()
    private var pid: pid_t = 0
    private var finished = false
    private var stopReason: JobOutcome?
    private let gracePeriod: Double

    init(gracePeriod: Double) { self.gracePeriod = gracePeriod }

    func started(pid: pid_t) { lock.lock(); self.pid = pid; lock.unlock() }

    func cancel() { stop(.cancelled) }

    func expire(after t: Double) { stop(.timedOut(t)) }

    /// SIGTERM to the group, then SIGKILL after the grace period if it is still there.
    private func stop(_ reason: JobOutcome) {
        lock.lock()
        guard !finished, pid > 0, stopReason == nil else { lock.unlock(); return }
        stopReason = reason
        let p = pid
        lock.unlock()
        kill(-p, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + gracePeriod) { [weak self] in
            guard let self else { return }
            self.lock.lock()
            let done = self.finished
            self.lock.unlock()
            if !done { kill(-p, SIGKILL) }
        }
    }

    func outcome(status: Int32) -> JobOutcome {
        lock.lock()
        finished = true
        let reason = stopReason
        lock.unlock()
        if let reason { return reason }
        // WIFEXITED / WEXITSTATUS / WTERMSIG spelled out (the C macros are not imported).
        let signal = status & 0x7f
        if signal == 0 {
            let code = (status >> 8) & 0xff
            return code == 0 ? .succeeded : .exited(code)
        }
        return .signalled(signal)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs each job as a child process in its own process group (so a timeout, a failure elsewhere
/// or Ctrl-C kills the whole group, not just `/bin/sh`), with stdin from /dev/null and stdout and
/// stderr appended to the job's log.
///
/// Waiting: libdispatch's pool runs only a few *blocking* work items at once, so no GCD worker is
/// parked in `waitpid`; each child gets a small dedicated thread that waits for it.
public final class ProcessRunner: TaskRunner, @unchecked Sendable {
    /// Seconds between SIGTERM and SIGKILL when stopping a group.
    public var gracePeriod: Double = 3

    public init() {}

    public func start(_ job: Job, onExit: @escaping @Sendable (JobOutcome) -> Void) -> RunningJob {
        let handle = ProcessJob(gracePeriod: gracePeriod)
        do {
            let pid = try spawn(job)
            handle.started(pid: pid)
            if let t = job.timeout {
                DispatchQueue.global().asyncAfter(deadline: .now() + t) { handle.expire(after: t) }
            }
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                // The task is over: stragglers left in its group must not touch $LOOM_OUT any more.
                kill(-pid, SIGKILL)
                onExit(handle.outcome(status: status))
            }
            thread.stackSize = 1 << 16
            thread.start()
        } catch {
            onExit(.couldNotStart("\(error)"))
        }
        return handle
    }

    private func spawn(_ job: Job) throws -> pid_t {
        let logFD = open(job.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw FileSystem.fail("cannot open log", job.logPath) }
        defer { close(logFD) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        _ = spawnAddChdir(&actions, job.workingDirectory)
        // Tasks see only stdin, stdout and stderr: no descriptor of loom's (pipes of libdispatch or
        // of whoever started loom) leaks into them and outlives a crash.
        _ = spawnAddCloseFrom(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // New process group; default signal dispositions and an empty mask (loom itself ignores
        // SIGINT/SIGTERM to handle them on a dispatch source, and ignored signals are inherited).
        posix_spawnattr_setpgroup(&attr, 0)
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = job.arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = job.environment.keys.sorted().map { strdup("\($0)=\(job.environment[$0]!)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, job.arguments[0], &actions, &attr, argv, envp)
        guard rc == 0 else { throw FileSystem.Failure(path: job.arguments[0], operation: "cannot run", errno: rc) }
        return pid
    }
}

// glibc >= 2.29 / 2.34 have these, but its module map does not export them to Swift.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

/// A running child: its group can be stopped; records why it was stopped.
final class ProcessJob: RunningJob, @unchecked Sendable {
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

/// One attempt at running a task, as the runner sees it: a command line in a directory with an
/// environment, output to a log. Built-in kinds run as `loom exec-builtin <job file>`, so every
/// task is a process: killable, time-limited, and ready to be sent to a cluster (Slurm) by a
/// runner that submits the same command line instead of spawning it.
public struct Job: Sendable {
    public var task: TaskID
    public var attempt: Int
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: String
    public var logPath: String
    public var timeout: Double?
    /// What the task must not change: a runner that can enforce it makes `readOnly` (the store)
    /// read-only for the job's processes, except `writable` (its output directory).
    public var fence: Fence?
    /// What the task asked for (cpus, memory, time, where): a cluster runner requests it; on
    /// this machine the scheduler shares `-j` and the memory by it (see `memoryBudget`).
    public var resources: Resources
    /// The DAG's name (for a cluster job's name).
    public var dag: String = ""
    /// The task without this machine's paths, for a runner whose nodes share no file system
    /// (only when the runner asks for it: `wantsPortableTasks`).
    public var portable: PortableTask?

    public init(task: TaskID, attempt: Int, arguments: [String], environment: [String: String],
                workingDirectory: String, logPath: String, timeout: Double?, resources: Resources = Resources(), fence: Fence? = nil) {
        self.fence = fence
        self.resources = resources
        self.task = task
        self.attempt = attempt
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.logPath = logPath
        self.timeout = timeout
    }
}

/// A task's resource request (`resources:` in the DAG). Not part of the cache key: a task's
/// output must not depend on how many cores or how much memory it was given, nor on where it ran.
public struct Resources: Equatable, Sendable {
    public var cpus: Int?
    public var memoryBytes: Int64?
    public var seconds: Double?
    /// Slurm only: the partition and account to submit to, and further `sbatch` options
    /// (`--qos=high`, `--gres=gpu:1`), each one argument.
    public var partition: String?
    public var account: String?
    public var sbatch: [String] = []
    public init(cpus: Int? = nil, memoryBytes: Int64? = nil, seconds: Double? = nil) {
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.seconds = seconds
    }
}

/// A directory tree a job may only read, with one directory inside it that it may write.
public struct Fence: Equatable, Sendable {
    public var readOnly: String
    public var writable: String
    public init(readOnly: String, writable: String) {
        self.readOnly = readOnly
        self.writable = writable
    }
}

/// How an attempt ended.
public enum JobOutcome: Equatable, Sendable, CustomStringConvertible {
    case succeeded
    case exited(Int32)
    case signalled(Int32)
    case timedOut(Double)
    case cancelled
    case couldNotStart(String)
    /// Stopped by the cluster for what the task did (its time limit, its memory): final.
    case killed(String)
    /// Lost to the cluster itself (node failure, preemption, a job Slurm forgot): the task is
    /// not to blame, so the attempt is retried (`Builder.lostRetries` beyond the task's own).
    case lost(String)

    public var description: String {
        switch self {
        case .succeeded: return "succeeded"
        case .exited(let c): return "exit status \(c)"
        case .signalled(let s): return "killed by signal \(s)"
        case .timedOut(let t): return "timed out after \(JSON.format(t))s"
        case .cancelled: return "cancelled"
        case .couldNotStart(let m): return "could not start: \(m)"
        case .killed(let m): return m
        case .lost(let m): return m
        }
    }
}

/// A started attempt that can be stopped (Ctrl-C, a failure elsewhere).
public protocol RunningJob: AnyObject, Sendable {
    func cancel()
}

/// Runs jobs. `start` must not block: the outcome arrives through `onExit`, on any thread.
public protocol TaskRunner: AnyObject, Sendable {
    func start(_ job: Job, onExit: @escaping @Sendable (JobOutcome) -> Void) -> RunningJob
    /// Why jobs are fenced off less than `Job.fence` asks, if they are (one warning per run).
    var isolationNote: String? { get }
    /// A runner on this machine returns the memory its jobs share: the scheduler then counts a
    /// task's `resources.cpus` as tokens of `-j` and its `resources.memory` against this budget.
    /// Nil (a cluster): every job is one of `-j`, and the cluster enforces the request.
    var memoryBudget: Int64? { get }
    /// Whether jobs must carry `Job.portable` (the runner's nodes do not see this machine's files).
    var wantsPortableTasks: Bool { get }
}

extension TaskRunner {
    public var isolationNote: String? { nil }
    public var memoryBudget: Int64? { nil }
    public var wantsPortableTasks: Bool { false }
}

/// What Loom reads from Slurm about its jobs, and what it lets a DAG pass to `sbatch`.

/// `sbatch` options a DAG may add (`resources: {sbatch: [...]}`, `slurm: {options: [...]}` in
/// `loom.yaml`): long options only, one argument each, none of those Loom sets itself.
public enum SlurmOptions {
    /// Options Loom sets for every job (where its output, log and outcome go; how it is watched)
    /// or that have their own key in `resources`.
    static let reserved: [String: String] = [
        "--output": "Loom writes the job's output to the task's log", "--error": "Loom writes the job's output to the task's log",
        "--input": "a job reads nothing on stdin", "--chdir": "Loom runs the job in the project directory",
        "--job-name": "Loom names the job after the task", "--parsable": "Loom reads sbatch's answer itself",
        "--wrap": "Loom writes the job's script", "--export": "the job gets the task's environment",
        "--export-file": "the job gets the task's environment", "--open-mode": "Loom appends to the task's log",
        "--array": "one task is one job", "--dependency": "Loom submits a task once what it needs is done",
        "--wait": "Loom watches the job itself", "--hold": "a held job would never start",
        "--requeue": "Loom retries a lost job itself, in a fresh output directory", "--no-requeue": "Loom sets it",
        "--test-only": "the job would never run", "--uid": "the job runs as the submitting user", "--gid": "the job runs as the submitting user",
        "--get-user-env": "the job gets the task's environment",
        "--cpus-per-task": "use resources.cpus", "--mem": "use resources.memory", "--time": "use resources.time",
        "--partition": "use resources.partition (or slurm.partition in loom.yaml)",
        "--account": "use resources.account (or slurm.account in loom.yaml)",
    ]

    /// Why `option` may not be passed to sbatch, or nil if it may.
    public static func problem(_ option: String) -> String? {
        guard option.hasPrefix("--"), option.count > 2 else {
            return "an sbatch option must be a long option like \"--qos=high\" (got \"\(option)\")"
        }
        guard !option.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return "an sbatch option must not contain control characters"
        }
        let name = String(option.prefix { $0 != "=" })
        if let why = reserved[name] { return "sbatch option '\(name)' is set by Loom (\(why))" }
        return nil
    }

    /// A partition or account name.
    public static func validName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.unicodeScalars.allSatisfy {
            $0.isASCII && (("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
    }
}

/// One line of `squeue --noheader --states=all --Format=JobID:|,State:|,exit_code:|,Reason:|`.
public struct SlurmJobState: Equatable, Sendable {
    public var id: String
    public var state: String
    /// The batch script's wait status as Slurm reports it (`768` is exit code 3).
    public var waitStatus: Int32?
    public var reason: String

    /// The `--Format` Loom asks squeue for, and the parse of its lines (nil for a line of another shape).
    public static let format = "JobID:|,State:|,exit_code:|,Reason:|"

    public static func parse(_ line: Substring) -> SlurmJobState? {
        let fields = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard fields.count >= 3, !fields[0].isEmpty, fields[0].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }),
              !fields[1].isEmpty else { return nil }
        var reason = fields.count > 3 ? fields[3] : ""
        if reason.hasSuffix("|") { reason.removeLast() }
        return SlurmJobState(id: fields[0], state: fields[1], waitStatus: Int32(fields[2]), reason: reason)
    }

    public static func parseAll(_ output: String) -> [String: SlurmJobState] {
        var out: [String: SlurmJobState] = [:]
        for line in output.split(separator: "\n") { if let s = parse(line) { out[s.id] = s } }
        return out
    }

    /// What the state means for Loom.
    public enum Phase: Equatable, Sendable {
        /// Waiting or running: poll again.
        case active
        /// The batch script ran to its end (COMPLETED, FAILED): the task's outcome is in the
        /// job's outcome file.
        case ended
        /// Stopped by Slurm for what the task asked or did (time limit, memory, deadline): final.
        case killed(String)
        /// Cancelled (by Loom, or by someone with `scancel`).
        case cancelled
        /// Lost to the cluster (node failure, preemption, boot failure): retried.
        case lost(String)
    }

    public var phase: Phase {
        // `squeue` may print a state with a suffix ("CANCELLED by 0"); the first word is the state.
        switch state.split(separator: " ").first.map(String.init) ?? state {
        case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD",
             "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD":
            return .active
        case "COMPLETED", "FAILED": return .ended
        case "CANCELLED": return .cancelled
        case "TIMEOUT": return .killed("killed by Slurm at the job's time limit")
        case "OUT_OF_MEMORY": return .killed("killed by Slurm: out of memory (more than the job's memory request)")
        case "DEADLINE": return .killed("killed by Slurm: the job's deadline passed")
        case "SPECIAL_EXIT": return .killed("stopped by Slurm (special exit)")
        case "NODE_FAIL": return .lost("lost: its node failed")
        case "BOOT_FAIL": return .lost("lost: its node failed to boot")
        case "PREEMPTED": return .lost("lost: preempted by a higher-priority job")
        case "REVOKED": return .lost("lost: revoked by another cluster")
        default: return .lost("lost: Slurm reports the unknown state '\(state)'")
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

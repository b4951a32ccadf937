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

import Foundation
import Testing
@testable import LoomCore

/// The Slurm runner's pure parts: what it reads from squeue, what it asks of sbatch, the node job
/// file and its outcome (the runner itself is tested end to end on a real cluster, LoomEndToEndTests).
@Suite struct SlurmUnitTests {
    /// Lines as Slurm 22.05's `squeue --Format=JobID:|,State:|,exit_code:|,Reason:|` prints them
    /// (captured on the test cluster; the last field is padded).
    @Test func squeueLinesAreReadAndTheirStatesSorted() {
        let out = """
        7|COMPLETED|0|None|                 
        6|FAILED|768|NonZeroExitCode|       
        8|PENDING|0|Resources|
        9|TIMEOUT|15|TimeLimit|
        10|CANCELLED by 0|0|None|
        11|NODE_FAIL|0|NodeDown|
        12|OUT_OF_MEMORY|0|OutOfMemory|
        13|PREEMPTED|0|None|
        14|SOMETHING_NEW|0|None|
        15_3|RUNNING|0|None|
        garbage line
        |RUNNING|0|x|
        a1|RUNNING|0|x|

        """
        let s = SlurmJobState.parseAll(out)
        #expect(s.keys.sorted() == ["10", "11", "12", "13", "14", "15_3", "6", "7", "8", "9"])
        #expect(s["6"] == SlurmJobState(id: "6", state: "FAILED", waitStatus: 768, reason: "NonZeroExitCode"))
        #expect(s["7"]?.reason == "None" && s["7"]?.phase == .ended)
        #expect(s["8"]?.phase == .active && s["15_3"]?.phase == .active)
        #expect(s["9"]?.phase == .killed("killed by Slurm at the job's time limit"))
        #expect(s["10"]?.phase == .cancelled)
        #expect(s["11"]?.phase == .lost("lost: its node failed"))
        #expect(s["12"]?.phase == .killed("killed by Slurm: out of memory (more than the job's memory request)"))
        #expect(s["13"]?.phase == .lost("lost: preempted by a higher-priority job"))
        #expect(s["14"]?.phase == .lost("lost: Slurm reports the unknown state 'SOMETHING_NEW'"))
    }

    @Test func resourcesBecomeTheJobsRequest() {
        var settings = SlurmSettings(loom: "/opt/loom", directory: "/p/artifacts/slurm")
        settings.partition = "batch"
        settings.options = ["--qos=normal"]
        let runner = SlurmRunner(settings: settings)
        var r = Resources(cpus: 4, memoryBytes: 1_500_000_000, seconds: 3601)
        r.account = "team"
        r.sbatch = ["--gres=gpu:1"]
        var job = Job(task: TaskID("fit"), attempt: 2, arguments: ["/bin/sh", "-c", "x"], environment: [:], workingDirectory: "/p",
                      logPath: "/p/experiments/r/logs/fit.log", timeout: nil, resources: r)
        job.dag = "shop"
        #expect(runner.sbatchArguments(job, script: "/p/s.sh") == [
            "sbatch", "--parsable", "--no-requeue", "--export=ALL", "--open-mode=append", "--job-name=loom:shop:fit",
            "--output=/p/experiments/r/logs/fit.log", "--chdir=/p", "--cpus-per-task=4", "--mem=1431M", "--time=61",
            "--partition=batch", "--account=team", "--qos=normal", "--gres=gpu:1", "/p/s.sh"])
        // No time request: the task's own timeout plus a minute; the task's partition wins.
        job.resources = Resources()
        job.resources.partition = "short"
        job.timeout = 30
        #expect(runner.sbatchArguments(job, script: "/p/s.sh").filter { $0.hasPrefix("--time") || $0.hasPrefix("--partition") }
                == ["--time=2", "--partition=short"])
    }

    @Test func nodeJobAndOutcomeRoundTripAndRefuseOtherShapes() throws {
        let job = NodeJob(arguments: ["/bin/sh", "-c", "echo 'x'"], workingDirectory: "/p", logPath: "/p/l.log", outcomePath: "/p/o",
                          timeout: 2.5, fence: Fence(readOnly: "/p/artifacts", writable: "/p/artifacts/tmp/a"))
        #expect(NodeJob(json: try JSON.parse(Array(job.json.encoded().utf8))) == job)
        for bad in [#"{}"#, #"{"format": "loom-node-job 2", "arguments": ["x"], "cwd": "/", "log": "l", "outcome": "o"}"#,
                    #"{"format": "loom-node-job 1", "arguments": [], "cwd": "/", "log": "l", "outcome": "o"}"#,
                    #"{"format": "loom-node-job 1", "arguments": ["x", 3], "cwd": "/", "log": "l", "outcome": "o"}"#,
                    #"{"format": "loom-node-job 1", "arguments": ["x"], "cwd": "/", "log": "l", "outcome": "o", "timeout": -1}"#,
                    #"{"format": "loom-node-job 1", "arguments": ["x"], "cwd": "/", "log": "l", "outcome": "o", "fence": {"read_only": "/"}}"#] {
            #expect(NodeJob(json: try JSON.parse(Array(bad.utf8))) == nil, "\(bad)")
        }
        for o: JobOutcome in [.succeeded, .exited(3), .signalled(9), .timedOut(1.5), .cancelled, .couldNotStart("no such file")] {
            let n = NodeOutcome(outcome: o, note: o == .succeeded ? "isolation off" : nil)
            #expect(NodeOutcome(json: try JSON.parse(Array(n.json.encoded().utf8))) == n)
        }
        for bad in [#"{"format": "loom-node-outcome 1", "outcome": "exited", "value": 0}"#,
                    #"{"format": "loom-node-outcome 1", "outcome": "exited", "value": 256}"#,
                    #"{"format": "loom-node-outcome 1", "outcome": "signalled", "value": 200}"#,
                    #"{"format": "loom-node-outcome 1", "outcome": "exploded"}"#,
                    #"{"format": "loom-node-outcome 9", "outcome": "succeeded"}"#] {
            #expect(NodeOutcome(json: try JSON.parse(Array(bad.utf8))) == nil, "\(bad)")
        }
    }

    /// The node task of remote mode: round trip, and a file that names inputs or files its key
    /// does not, or paths that leave the node's directory, is refused.
    @Test func portableTasksRoundTripAndRefuseWhatTheirKeyDoesNotName() throws {
        let a = Digest(of: "a"), f = Digest(of: "f")
        let m = KeyManifest(kind: "shell", kindVersion: 1, inputs: ["up": a], files: ["data/x.csv": f], command: "cat data/x.csv")
        var t = PortableTask(task: "t", manifest: m, inputs: [.init(name: "up", key: CacheKey(Digest(of: "k")), artifact: a)],
                             files: [.init(path: "data/x.csv", digest: f, size: 12)], command: "cat data/x.csv", env: ["LC_ALL": "C"], params: [:])
        t.name = "abc-1"
        t.remote = .init(url: "s3://b/p", endpoint: "http://127.0.0.1:8333", region: nil)
        t.workDirectory = "/scratch"
        t.timeout = 5
        let text = t.json.encoded()
        #expect(PortableTask(json: try JSON.parse(Array(text.utf8))) == t)
        func mutated(_ from: String, _ to: String) throws -> PortableTask? {
            #expect(text.contains(from), "\(from)")
            return PortableTask(json: try JSON.parse(Array(text.replacingOccurrences(of: from, with: to).utf8)))
        }
        #expect(try mutated(#""name":"up""#, #""name":"other""#) == nil)          // an input the key does not name
        #expect(try mutated(#""path":"data/x.csv""#, #""path":"../x.csv""#) == nil)  // a file outside the directory
        #expect(try mutated(#""digest":"\#(f.hex)""#, #""digest":"\#(a.hex)""#) == nil)  // another file's bytes
        #expect(try mutated(#""work_dir":"/scratch""#, #""work_dir":"scratch""#) == nil)
        #expect(try mutated(#""format":"loom-node-task 1""#, #""format":"loom-node-task 2""#) == nil)
    }

    @Test func commandCapturesBothStreamsAndTheStatus() throws {
        let r = try Command.run(["/bin/sh", "-c", "echo out; echo err >&2; head -c 100000 /dev/zero | tr '\\0' x; exit 4"])
        #expect(r.status == 4 && r.output.hasPrefix("out\n") && r.output.count == 100_004 && r.errors == "err\n")
        #expect(throws: Command.NotFound.self) { try Command.run(["/no/such/program"]) }
        #expect(try Command.run(["/bin/sh", "-c", "kill -9 $$"]).status == 128 + 9)
    }
}

/// The scheduler's demands: cpus as tokens of -j, memory against a budget, in plan order.
@Suite struct SchedulerDemandTests {
    /// Runs `count` independent tasks with `demands` and returns the most tokens and memory seen in
    /// use at once, and the order tasks started in.
    func run(_ demands: [Scheduler.Demand], jobs: Int, memory: Int64) -> (tokens: Int, memory: Int64, order: [Int]) {
        let s = Scheduler(plan: Plan(needs: Array(repeating: [], count: demands.count)), jobs: jobs, keepGoing: false,
                          demands: demands, memoryBudget: memory)
        let state = Locked<(tokens: Int, memory: Int64, peakT: Int, peakM: Int64, order: [Int])>((0, 0, 0, 0, []))
        _ = s.run { i, done in
            let d = Scheduler.Demand(tokens: min(demands[i].tokens, jobs), memory: min(demands[i].memory, memory))
            state.mutate { $0.tokens += d.tokens; $0.memory += d.memory; $0.peakT = max($0.peakT, $0.tokens); $0.peakM = max($0.peakM, $0.memory); $0.order.append(i) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.02) {
                state.mutate { $0.tokens -= d.tokens; $0.memory -= d.memory }
                done(true)
            }
        }
        return (state.value.peakT, state.value.peakM, state.value.order)
    }

    @Test func cpusAreTokensAndMemoryIsABudget() {
        let g: Int64 = 1 << 30
        // Four 1-cpu tasks and a 2-cpu one under -j 2: never more than 2 tokens; the big one is
        // not overtaken by those after it.
        let a = run([.init(tokens: 1, memory: 0), .init(tokens: 2, memory: 0), .init(tokens: 1, memory: 0), .init(tokens: 1, memory: 0)], jobs: 2, memory: .max)
        #expect(a.tokens == 2 && a.order == [0, 1, 2, 3])
        // Memory: 3 tasks of 3 GiB with a 4 GiB budget run one at a time even with -j 8; one asking
        // for more than the budget still runs (alone).
        let b = run([.init(tokens: 1, memory: 3 * g), .init(tokens: 1, memory: 3 * g), .init(tokens: 1, memory: 9 * g)], jobs: 8, memory: 4 * g)
        #expect(b.memory == 4 * g && b.tokens == 1)
        // A task asking for more cpus than -j takes all of them.
        #expect(run([.init(tokens: 64, memory: 0), .init(tokens: 1, memory: 0)], jobs: 4, memory: .max).tokens == 4)
    }
}

import Foundation
import Testing
import LoomCore

/// `loom run --executor slurm` through the real binary on the real single-node Slurm cluster that
/// `scripts/slurm-cluster.sh` starts (slurmctld + slurmd + munged on loopback). The project
/// directory is the shared file system: the node is this machine.
@Suite(.serialized) struct SlurmTests {
    /// Nil when the cluster is up; otherwise why it could not start (which fails the tests that
    /// need it, with the script's output).
    static let cluster: String? = {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        // system(3), not Process: the script starts daemons that keep inherited pipes open.
        let log = NSTemporaryDirectory() + "loom-slurm-start-\(getpid()).log"
        let rc = system("bash '\(repo)/scripts/slurm-cluster.sh' start >'\(log)' 2>&1")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        unlink(log)
        return rc == 0 ? nil : "scripts/slurm-cluster.sh start failed (\(rc)): \(text)"
    }()

    func sandbox() throws -> Sandbox {
        if let why = Self.cluster { Issue.record("the Slurm cluster did not start: \(why)"); throw CancellationError() }
        return Sandbox()
    }

    /// `squeue` lines (id|name|state) of every pending or running job whose name starts with `prefix`.
    static func queued(_ prefix: String) -> [String] {
        guard let r = try? Command.run(["squeue", "--noheader", "--format=%i|%j|%T"]) else { return [] }
        return r.output.split(separator: "\n").map(String.init).filter { $0.split(separator: "|").dropFirst().first?.hasPrefix(prefix) == true }
    }

    /// Whether the job named `job` shows as RUNNING in squeue within 30 s (a loaded machine can
    /// take 10 s and more to start a job).
    static func waitUntilRunning(_ job: String) -> Bool {
        for _ in 0..<300 {
            usleep(100_000)
            if queued(job).contains(where: { $0.hasSuffix("|RUNNING") }) { return true }
        }
        return false
    }

    /// Independent tasks are concurrent jobs: their running times overlap, and each saw Slurm's
    /// environment (SLURM_JOB_ID).
    @Test func independentTasksRunAsConcurrentJobs() throws {
        let s = try sandbox()
        let side = s.root + "/side"
        try FileManager.default.createDirectory(atPath: side, withIntermediateDirectories: true)
        s.write("dags/t.yaml", """
        tasks:
          a: {kind: shell, cmd: 'date +%s.%N > \(side)/a.start; sleep 2; date +%s.%N > \(side)/a.end; echo "$SLURM_JOB_ID" > $LOOM_OUT/job'}
          b: {kind: shell, cmd: 'date +%s.%N > \(side)/b.start; sleep 2; date +%s.%N > \(side)/b.end; echo "$SLURM_JOB_ID" > $LOOM_OUT/job'}
        """)
        let out = try s.loom("run", "dags/t.yaml", "--executor", "slurm")
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        func t(_ f: String) -> Double { Double((s.read("side/\(f)") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan }
        #expect(t("a.start") < t("b.end") && t("b.start") < t("a.end"), "not concurrent: a \(t("a.start"))-\(t("a.end")), b \(t("b.start"))-\(t("b.end"))")
        let ja = s.read("artifacts/latest/t/a/job") ?? "", jb = s.read("artifacts/latest/t/b/job") ?? ""
        #expect(Int(ja.trimmingCharacters(in: .whitespacesAndNewlines)) != nil && ja != jb, "job ids: '\(ja)' '\(jb)'")
        // The job's script, job file and outcome are gone; nothing is left in the store's tmp.
        #expect((try? FileSystem.listDirectory(s.root + "/artifacts/slurm")) ?? [] == [])
        #expect((try? FileSystem.listDirectory(s.root + "/artifacts/tmp")) ?? [] == [])
    }

    /// The demo DAG (shell tasks and built-in kinds) through Slurm gives the same artifacts, byte for
    /// byte, as a local run; `executor: slurm` in loom.yaml is the default, `--executor local` wins.
    @Test func artifactsEqualThoseOfALocalRun() throws {
        let demo = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/dags/demo.yaml", encoding: .utf8)
        let cluster = try sandbox(), local = Sandbox()
        cluster.write("loom.yaml", "loom: 1\nexecutor: slurm\nslurm: {partition: \(ProcessInfo.processInfo.environment["LOOM_TEST_SLURM_PARTITION"] ?? "debug")}\n")
        cluster.write("dags/demo.yaml", demo)
        local.write("dags/demo.yaml", demo)
        let a = try cluster.loom("run", "dags/demo.yaml", "-j", "4")
        #expect(a.status == 0, "\(a.stdout)\(a.stderr)")
        let b = try local.loom("run", "dags/demo.yaml")
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        #expect(!cluster.artifacts(dag: "demo").isEmpty && cluster.artifacts(dag: "demo") == local.artifacts(dag: "demo"))
        // Each task's log holds what its job printed (the built-in concat says what it joined).
        let run = try cluster.lastRun()
        #expect(cluster.read("experiments/\(run.id.value)/logs/joined.log")?.contains("concat: 2 files") == true)
        // Up to date now, whichever executor is asked.
        let again = try cluster.loom("run", "dags/demo.yaml", "--executor", "local")
        #expect(again.status == 0 && again.stdout.contains("0 ran, 5 cached"), "\(again.stdout)")
    }

    /// Without a shared file system (`slurm.shared_fs: false`) each job works in a directory of
    /// its own outside the project (node_dir), fetches its inputs and declared files from the S3
    /// remote, and pushes its output there; the artifacts equal a local run's byte for byte, the
    /// task logs (and a failure's tail) come back, and nothing is left in node_dir but Slurm's own
    /// job output.
    @Test func withoutASharedFileSystemTasksTravelThroughTheRemote() throws {
        let s = try sandbox()
        let env = try #require(RemoteTests.server.env, "the S3 server did not start: \(RemoteTests.server.log)")
        s.environment = env
        let add = try s.loom("remote", "add", "team", "s3://\(env["LOOM_TEST_S3_BUCKET"] ?? "loom-test")/nofs/\(UUID().uuidString.lowercased())",
                             "--endpoint", env["AWS_ENDPOINT_URL"]!)
        #expect(add.status == 0, "\(add.stderr)")
        let node = NSTemporaryDirectory() + "loom-node-dir-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: node, withIntermediateDirectories: true)
        defer { FileSystem.removeTree(node) }
        s.write("loom.yaml", (s.read("loom.yaml") ?? "") + "slurm: {shared_fs: false, node_dir: \(node)}\n")
        let demo = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/dags/demo.yaml", encoding: .utf8)
        s.write("dags/demo.yaml", demo)
        s.write("data/words.txt", "alpha\nbeta\n")
        s.write("dags/t.yaml", """
        tasks:
          words: {kind: shell, files: [data/words.txt], cmd: 'sort -r data/words.txt > $LOOM_OUT/w; echo "read $(wc -l < data/words.txt) words"'}
          bad: {kind: shell, needs: [words], cmd: 'cat $LOOM_IN/words/w; echo oops >&2; exit 3'}
        """)
        let a = try s.loom("run", "dags/demo.yaml", "--executor", "slurm")
        #expect(a.status == 0 && a.stdout.contains("5 ran"), "\(a.stdout)\(a.stderr)")
        let local = Sandbox()
        local.write("dags/demo.yaml", demo)
        #expect(try local.loom("run", "dags/demo.yaml").status == 0)
        #expect(!s.artifacts(dag: "demo").isEmpty && s.artifacts(dag: "demo") == local.artifacts(dag: "demo"))
        let run = try s.lastRun()
        #expect(s.read("experiments/\(run.id.value)/logs/joined.log")?.contains("concat: 2 files") == true)

        let b = try s.loom("run", "dags/t.yaml", "--executor", "slurm")
        #expect(b.status == 1, "\(b.stdout)\(b.stderr)")
        #expect(s.read("artifacts/latest/t/words/w") == "beta\nalpha\n")
        #expect(b.stderr.contains("error: task 'bad' (kind shell) failed: exit status 3"), "\(b.stderr)")
        #expect(b.errors.contains("  | beta\n  | alpha\n  | oops"), "\(b.stderr)")
        let second = try s.lastRun()
        #expect(s.read("experiments/\(second.id.value)/logs/words.log") == "read 2 words\n")
        let left = try FileSystem.listDirectory(node)
        #expect(!left.isEmpty && left.allSatisfy { $0.hasPrefix("loom-") && $0.hasSuffix(".out") }, "\(left)")
    }

    /// Without a remote, `shared_fs: false` is a usage error before anything is submitted.
    @Test func withoutASharedFileSystemARemoteIsRequired() throws {
        let s = try sandbox()
        s.write("loom.yaml", "loom: 1\nslurm: {shared_fs: false}\n")
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: 'true'}\n")
        let out = try s.loom("run", "dags/t.yaml", "--executor", "slurm")
        #expect(out.status == 2 && out.stderr.contains("slurm.shared_fs is false in loom.yaml: jobs need a remote cache"), "\(out.stderr)")
    }

    /// A failing job: exit 1, its status and log tail; a task over its own timeout is stopped on
    /// the node and reported as timed out; the other task still runs (--keep-going).
    @Test func aFailingJobGivesExit1WithItsLogTail() throws {
        let s = try sandbox()
        s.write("dags/t.yaml", """
        tasks:
          bad: {kind: shell, cmd: 'echo about to fail; echo oops >&2; exit 3'}
          slow: {kind: shell, cmd: 'sleep 30', timeout: 1s}
          good: {kind: shell, cmd: 'echo fine > $LOOM_OUT/f'}
        """)
        let out = try s.loom("run", "dags/t.yaml", "--executor", "slurm", "--keep-going")
        #expect(out.status == 1)
        #expect(out.stderr.contains("error: task 'bad' (kind shell) failed: exit status 3"), "\(out.stderr)")
        #expect(out.errors.contains("  | about to fail\n  | oops"), "\(out.stderr)")
        #expect(out.stderr.contains("error: task 'slow' (kind shell) failed: timed out after 1.0s"), "\(out.stderr)")
        #expect(out.stderr.contains("1 ran, 0 cached, 2 failed"), "\(out.stderr)")
        #expect(s.read("artifacts/latest/t/good/f") == "fine\n")
    }

    /// sbatch refusing a job (no such partition) is the task's failure, with sbatch's words.
    @Test func aJobSlurmRefusesFailsWithSbatchsMessage() throws {
        let s = try sandbox()
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: 'true', resources: {partition: no-such-partition}}\n")
        let out = try s.loom("run", "dags/t.yaml", "--executor", "slurm")
        #expect(out.status == 1)
        #expect(out.stderr.contains("failed: could not start: sbatch refused the job (exit status 1): sbatch: error: invalid partition specified: no-such-partition"),
                "\(out.stderr)")
    }

    /// A node failure is not the task's fault: the job is submitted again (the task has no
    /// retries of its own) and the run succeeds, with the loss in the log and the attempts.
    @Test func aNodeFailureIsRetried() throws {
        let s = try sandbox()
        let name = "nf\(UInt32.random(in: 0...UInt32.max))"
        s.write("dags/\(name).yaml", "tasks:\n  a: {kind: shell, cmd: 'sleep 3; echo done > $LOOM_OUT/x'}\n")
        let (p, out, err) = try s.start(["run", "dags/\(name).yaml", "--executor", "slurm"])
        #expect(Self.waitUntilRunning("loom:\(name):a"), "the job never showed as RUNNING in squeue")
        // The node goes down under the job (Slurm marks the job NODE_FAIL); slurmd is alive, so it
        // registers again at once and ReturnToService=2 brings the node back.
        let node = try Command.run(["hostname", "-s"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try Command.run(["scontrol", "update", "nodename=\(node)", "state=down", "reason=loom-test"])
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var idle = false
        for _ in 0..<100 where !idle {
            idle = (try? Command.run(["sinfo", "--noheader", "--format=%T"]).output.hasPrefix("idle")) ?? false
            if !idle { _ = try? Command.run(["scontrol", "update", "nodename=\(node)", "state=resume"]); usleep(100_000) }
        }
        let text = String(decoding: o, as: UTF8.self) + String(decoding: e, as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("run      a attempt 2"), "\(text)")
        #expect(s.read("artifacts/latest/\(name)/a/x") == "done\n")
        let run = try s.lastRun()
        // 2, or 3 when the node flapped once more as it came back (each loss is retried, twice at most).
        #expect([2, 3].contains(run.tasks.first?.attempts ?? 0), "\(text)")
        #expect(s.read("experiments/\(run.id.value)/logs/a.log")?.contains("--- loom: attempt 2 (the one before was lost to the cluster) ---") == true)
    }

    /// Ctrl-C while a job runs: loom cancels it (scancel), exits 130, and leaves no job queued and
    /// nothing half-written in the store.
    @Test func ctrlCLeavesNoJobInTheQueue() throws {
        let s = try sandbox()
        let name = "t\(UInt32.random(in: 0...UInt32.max))"
        s.write("dags/\(name).yaml", "tasks:\n  long: {kind: shell, cmd: 'sleep 120; touch $LOOM_OUT/x'}\n")
        let (p, out, err) = try s.start(["run", "dags/\(name).yaml", "--executor", "slurm"])
        #expect(Self.waitUntilRunning("loom:\(name):long"), "the job never showed as RUNNING in squeue")
        kill(p.processIdentifier, SIGINT)
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "\(String(decoding: o, as: UTF8.self))\(String(decoding: e, as: UTF8.self))")
        #expect(Self.queued("loom:\(name):").isEmpty, "still queued: \(Self.queued("loom:\(name):"))")
        #expect((try? FileSystem.listDirectory(s.root + "/artifacts/tmp")) ?? [] == [])
        #expect(try s.lastRun().status == .interrupted)
    }
}

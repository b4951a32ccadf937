import Foundation
import Testing
import LoomCore

@Suite(.serialized) struct FailureTests {
    @Test func failingTaskGivesExitOneAndLogPath() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          ok: {kind: shell, cmd: "echo fine > $LOOM_OUT/x"}
          bad:
            kind: shell
            needs: [ok]
            cmd: echo "something broke" >&2; exit 3
          after: {kind: shell, needs: [bad], cmd: "true"}
          other: {kind: shell, cmd: "true"}
        """)
        let r = try s.loom("run", "dags/t.yaml", "-j", "1")
        #expect(r.status == 1)
        let run = try s.lastRun()
        #expect(r.errors.contains("error: task 'bad' (kind shell) failed: exit status 3\n  log: experiments/\(run.id)/logs/bad.log\n  | something broke"))
        // Without a terminal every line of it is dated.
        #expect(r.stderr.split(separator: "\n").allSatisfy { Sandbox.Output.untimed(String($0)) != String($0) }, "\(r.stderr)")
        #expect(run.status == .failed)
        // The report shows the failed task's log tail under its row too.
        #expect(s.read("experiments/\(run.id)/report.html")?.contains("<tr class=\"tail\"><td></td><td colspan=\"6\"><pre>something broke\n</pre>") == true)
        #expect(run.tasks.first { $0.name == "after" }?.status == .skipped)
        // Nothing is recorded as built for the failed task; the next run retries only it.
        #expect(s.artifacts()["bad"] == nil)
        #expect(s.artifacts()["ok"] != nil)
        let keepGoing = try s.loom("run", "dags/t.yaml", "--keep-going")
        #expect(keepGoing.status == 1)
        #expect(try s.lastRun().tasks.first { $0.name == "other" }?.status == .ran)
    }

    @Test func outputsMustBeWrittenAndStayInside() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          missing: {kind: shell, cmd: "true", outputs: [result.csv]}
          escaping: {kind: shell, cmd: "ln -s /etc/hostname $LOOM_OUT/h"}
        """)
        let r = try s.loom("run", "dags/t.yaml", "--keep-going")
        #expect(r.status == 1)
        #expect(r.stderr.contains("task 'missing' (kind shell) failed: declared output 'result.csv' was not written to $LOOM_OUT"))
        #expect(r.stderr.contains("task 'escaping' (kind shell) failed: output 'h' is a symbolic link to '/etc/hostname', which escapes $LOOM_OUT"))
        #expect(s.artifacts().isEmpty)
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          slow:
            kind: shell
            timeout: 1s
            cmd: (awk '{print $4}' /proc/self/stat > $LOOM_ROOT/child.pid; sleep 30; echo late > $LOOM_ROOT/late.txt) & sleep 30
        """)
        // Tasks run in a PID namespace of their own: `$!` and `$$` are pids inside it, so the
        // task writes its host pid from /proc (mounted in the host's namespace): awk's parent.
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 1)
        #expect(r.stderr.contains("failed: timed out after 1.0s"))
        let pid = Int32(s.read("child.pid")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        #expect(pid > 0)
        usleep(200_000)
        #expect(!isAlive(pid), "the background child of the timed-out task is still alive")
    }

    @Test func retriesUntilSuccess() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          flaky:
            kind: shell
            retries: 2
            cmd: |
              n=$(cat $LOOM_ROOT/count 2>/dev/null || echo 0); echo $((n+1)) > $LOOM_ROOT/count
              [ "$n" -ge 1 ] && echo ok > $LOOM_OUT/r
        """)
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 0, "\(r.stderr)")
        let t = try #require(try s.lastRun().tasks.first)
        #expect(t.status == .ran && t.attempts == 2)
        #expect(s.read("experiments/\(try s.lastRun().id)/logs/flaky.log")?.contains("--- loom: attempt 2 of 3 ---") == true)
    }

    /// A task rerun for a changed key is explained once it has started (the old manifest is read
    /// and diffed while it runs): every attempt's run line and its record still carry the reasons.
    @Test func aRerunIsExplainedOnEveryAttemptAndInItsRecord() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        params: {x: 1}
        tasks:
          flaky:
            kind: shell
            retries: 1
            cmd: |
              n=$(cat $LOOM_ROOT/count 2>/dev/null || echo 0); echo $((n+1)) > $LOOM_ROOT/count
              [ $((n % 2)) -eq 1 ] && echo {{params.x}} > $LOOM_OUT/r
        """)
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        let r = try s.loom("run", "dags/t.yaml", "-P", "x=2")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines.filter { $0.hasPrefix("run      flaky") } == ["run      flaky  (param 'x' changed 1 -> 2)", "run      flaky attempt 2  (param 'x' changed 1 -> 2)"],
                "\(r.stdout)")
        let t = try #require(try s.lastRun().tasks.first)
        #expect(t.status == .ran && t.attempts == 2 && t.reasons == ["param 'x' changed 1 -> 2"])
    }

    @Test func parallelismReallyReachesJobs() throws {
        let s = Sandbox()
        var dag = "tasks:\n"
        for i in 0..<8 {
            dag += "  t\(i): {kind: shell, cmd: 'touch $LOOM_ROOT/marks/start.\(i); while [ $(ls $LOOM_ROOT/marks | wc -l) -lt 8 ] && [ ! -e $LOOM_ROOT/marks/timeout ]; do sleep 0.05; done; ls $LOOM_ROOT/marks | wc -l > $LOOM_OUT/seen'}\n"
        }
        s.write("dags/t.yaml", dag)
        try FileManager.default.createDirectory(atPath: s.root + "/marks", withIntermediateDirectories: true)
        // A watchdog so the test cannot hang if fewer than 8 run at once.
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) { FileManager.default.createFile(atPath: s.root + "/marks/timeout", contents: nil) }
        let r = try s.loom("run", "dags/t.yaml", "-j", "8")
        #expect(r.status == 0)
        #expect(!FileManager.default.fileExists(atPath: s.root + "/marks/timeout"), "8 tasks were not running at the same time")
        #expect(s.read("artifacts/latest/t/t0/seen")?.trimmingCharacters(in: .whitespaces) == "8\n")
    }

    @Test func killedRunLeavesNothingDoneAndTheNextRunCompletes() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          quick: {kind: shell, cmd: "echo q > $LOOM_OUT/q"}
          slow:
            kind: shell
            needs: [quick]
            cmd: echo partial > $LOOM_OUT/part; echo $$ > $LOOM_ROOT/slow.pid; sleep {{params.delay}}; echo done > $LOOM_OUT/done
        params: {delay: 30}
        """)
        let (p, _, _) = try s.start(["run", "dags/t.yaml"])
        for _ in 0..<200 where s.read("slow.pid") == nil { usleep(50_000) }
        // `quick` is committed; its key entry reaches the disk within GroupCommit.window (20 ms).
        usleep(300_000)
        kill(p.processIdentifier, SIGKILL)
        // Its orphaned task group is no longer watched by anyone; kill it as a crash of the machine
        // would (the orphan holds loom's output pipes open until then).
        let pid = Int32(s.read("slow.pid")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        #expect(pid > 0)
        if pid > 0 { kill(-pid, SIGKILL) }
        p.waitUntilExit()
        #expect(s.artifacts()["slow"] == nil)
        let again = try s.loom("run", "dags/t.yaml", "-P", "delay=0")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("did not exit cleanly; taking over its lock"))
        #expect(has(again, "cached", "quick"))
        #expect(s.read("artifacts/latest/t/slow/done") == "done\n")
        #expect(try s.loom("verify").stdout.hasSuffix(": clean\n"))
    }

    @Test func secondRunGetsLockBusyAndWaitWorks() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  slow: {kind: shell, cmd: 'touch $LOOM_ROOT/started; sleep 2'}\n")
        let (p, _, _) = try s.start(["run", "dags/t.yaml"])
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: s.root + "/started") { usleep(20_000) }
        let busy = try s.loom("run", "dags/t.yaml")
        #expect(busy.status == 4)
        #expect(busy.stderr.contains("another loom run holds the project lock (pid \(p.processIdentifier), started "))
        let waited = try s.loom("run", "dags/t.yaml", "--wait", "--wait-timeout", "30")
        #expect(waited.status == 0)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func interruptStopsTasksAndRecordsIt() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  slow: {kind: shell, cmd: 'awk \"{print \\$4}\" /proc/self/stat > $LOOM_ROOT/sh.pid; sleep 30'}\n")
        let (p, _, err) = try s.start(["run", "dags/t.yaml"])
        for _ in 0..<200 where s.read("sh.pid") == nil { usleep(20_000) }
        usleep(100_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        #expect(p.terminationStatus == 130)
        #expect(try s.lastRun().status == .interrupted)
        #expect(try s.lastRun().tasks.first?.status == .interrupted, "stopped by the user, not failed")
        let pid = Int32(s.read("sh.pid")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        #expect(pid > 0 && !isAlive(pid))
        #expect(s.artifacts().isEmpty)
    }
}

import Foundation
import Testing
import LoomCore

/// Issue 10, hole 10: run state under concurrency, crashes and a full disk.
@Suite(.serialized) struct RunStateTests {
    /// A run that waited for the lock reads the build state after it got the lock, so it keeps
    /// what the run it waited for recorded.
    @Test func aRunThatWaitedKeepsTheRecordsOfTheRunItWaitedFor() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          slow: {kind: shell, cmd: "touch $LOOM_ROOT/started; sleep 1.5; echo s > $LOOM_OUT/s"}
          quick: {kind: shell, cmd: "echo q > $LOOM_OUT/q"}
        """)
        let (first, _, _) = try s.start(["run", "dags/t.yaml", "slow"])
        for _ in 0..<250 where !FileSystem.exists(s.root + "/started") { usleep(20_000) }
        let second = try s.loom("run", "dags/t.yaml", "quick", "--wait", "--wait-timeout", "30")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0 && second.status == 0)
        #expect(s.artifacts().keys.sorted() == ["quick", "slow"])
        let third = try s.loom("run", "dags/t.yaml")
        #expect(has(third, "cached", "slow") && has(third, "cached", "quick"))
    }

    /// Two DAG files with the same text are two DAGs: the second one's run is recorded under its
    /// own name, with its own latest links (the parsed-graph cache once handed it the first's).
    @Test func twoFilesWithTheSameTextAreTwoDAGs() throws {
        let s = Sandbox()
        let text = "tasks:\n  a: {kind: shell, cmd: 'echo 1 > $LOOM_OUT/o'}\n"
        s.write("dags/one.yaml", text)
        s.write("dags/two.yaml", text)
        #expect(try s.loom("run", "dags/one.yaml", "-q").status == 0)
        #expect(try s.loom("run", "dags/two.yaml", "-q").status == 0)
        #expect(try s.lastRun().dagName == "two")
        #expect(s.read("artifacts/latest/one/a/o") == "1\n" && s.read("artifacts/latest/two/a/o") == "1\n")
        #expect(FileSystem.exists(s.root + "/artifacts/state/two.tsv"))
    }

    /// `loom run` takes the project lock before it loads the DAG (`RunPrelude`); a DAG that does
    /// not load lets it go cleanly, so the next run does not take it for a crashed holder.
    @Test func aRunWhoseDAGDoesNotLoadReleasesTheLock() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: 'echo 1 > $LOOM_OUT/o'}\n")
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: 'echo 1 > $LOOM_OUT/o', needs: [nope]}\n")
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 3)
        #expect(try s.loom("run", "dags/t.yaml", "-q", "--force", "missing").status != 0)
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: 'echo 2 > $LOOM_OUT/o'}\n")
        let next = try s.loom("run", "dags/t.yaml", "-q")
        #expect(next.status == 0 && !next.stderr.contains("did not exit cleanly"), "\(next.stderr)")
        #expect(s.read("artifacts/lock")?.isEmpty == true)
    }

    /// A run killed outright stays `running` in its record; the next command to take the lock
    /// marks it `crashed` and says so. The killed run's tasks do not keep the lock.
    @Test func aKilledRunIsMarkedCrashed() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          t: {kind: shell, cmd: "awk '{print $4}' /proc/self/stat > $LOOM_ROOT/sh.pid; [ -f $LOOM_ROOT/fast ] || sleep 30; echo > $LOOM_OUT/x"}
        """)
        let (p, _, _) = try s.start(["run", "dags/t.yaml"])
        for _ in 0..<250 where s.read("sh.pid") == nil { usleep(20_000) }
        usleep(100_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let killed = try s.lastRun()
        #expect(killed.status == .running)
        s.write("fast", "")
        let next = try s.loom("run", "dags/t.yaml")
        #expect(next.status == 0, "the orphaned task does not hold the project lock: \(next.stderr)")
        #expect(next.stderr.contains("did not exit cleanly; taking over its lock and marking run \(killed.id) crashed"))
        let store = RunStore(root: s.root + "/experiments")
        #expect(try store.load(killed.id).status == .crashed)
        #expect(try s.loom("runs", "--status", "crashed").stdout.contains(killed.id.value))
        if let pid = Int32(s.read("sh.pid")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") { kill(pid, SIGKILL) }
    }

    /// A full disk is the machine's failure, not the DAG's: exit 6, and the run is not left
    /// `running` (its record is finished, or, when even that cannot be written, the next run
    /// marks it crashed).
    @Test(.enabled(if: geteuid() == 0, "mounts a small tmpfs")) func aFullDiskHasItsOwnExitCode() throws {
        let s = Sandbox()
        let disk = s.root + "/disk"
        try FileSystem.makeDirectories(disk)
        guard mount("tmpfs", disk, "tmpfs", 0, "size=2m") == 0 else { return }
        defer { withExtendedLifetime(s) { _ = umount2(disk, 2) } }   // MNT_DETACH, before `s` removes its directory
        let p = Sandbox(root: disk)
        p.write("dags/t.yaml", "tasks:\n  fill: {kind: shell, cmd: 'cat /dev/zero > $LOOM_ROOT/fill; echo > $LOOM_OUT/x'}\n")
        let r = try p.loom("run", "dags/t.yaml")
        #expect(r.status == 6, "\(r.stderr)")
        #expect(r.stderr.contains("No space left on device"))
        unlink(disk + "/fill")
        let again = try p.loom("run", "dags/t.yaml", "--dry-run")
        #expect(again.status == 0)
        let runs = RunStore(root: disk + "/experiments")
        let first = try #require(runs.ids().first)
        // The next run to take the lock finishes the story: the first run is not `running`.
        _ = try p.loom("run", "dags/t.yaml", "-q")
        #expect(try runs.load(first).status != .running)
        unlink(disk + "/fill")
    }
}

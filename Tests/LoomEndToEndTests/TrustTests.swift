import Foundation
import Testing
import LoomCore

/// Issue 10: a cached artifact is exactly what a rerun would produce, whatever tasks, crashes or
/// people do to the store. Each test is a hole found by fault injection, run with the real binary.
@Suite(.serialized) struct TrustTests {
    static let isRoot = geteuid() == 0

    /// Hole 1: a byte flipped in a stored file (as `dd conv=notrunc` does) is noticed on the next
    /// run, the task reruns and the store ends with the right bytes; `verify --repair` removes the
    /// corrupt blob itself, so no later commit can adopt it again.
    @Test func corruptedBlobIsNeverServed() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          squares: {kind: shell, cmd: "printf '1\\\\n4\\\\n9\\\\n' > $LOOM_OUT/values.txt"}
          sum: {kind: shell, needs: [squares], cmd: "awk '{s+=$1} END {print s}' $LOOM_IN/squares/values.txt > $LOOM_OUT/sum.txt"}
        """)
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        #expect(try s.loom("run", "dags/t.yaml").status == 0)   // through the no-op memo next
        let values = s.root + "/artifacts/latest/t/squares/values.txt"
        func flip() throws {
            let fd = open(values, O_WRONLY)
            #expect(fd >= 0)
            _ = "7".withCString { pwrite(fd, $0, 1, 0) }
            close(fd)
        }
        try flip()
        let status = try s.loom("status", "dags/t.yaml")
        #expect(status.stdout.contains("was damaged in the store (its files changed)"))
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 0)
        #expect(has(r, "run", "squares"))
        #expect(s.read("artifacts/latest/t/squares/values.txt") == "1\n4\n9\n")
        #expect(s.read("artifacts/latest/t/sum/sum.txt") == "14\n")
        #expect(try s.loom("verify").status == 0)

        // Damage again; verify finds the blob and the artifact, --repair removes both, and the
        // rerun stores correct bytes (the corrupt blob is not linked again).
        try flip()
        let v = try s.loom("verify")
        #expect(v.status == 1)
        #expect(v.stdout.contains("corrupt blob artifacts/blobs/"))
        #expect(try s.loom("verify", "--repair").status == 1)
        #expect(try s.loom("verify").status == 0)
        let again = try s.loom("run", "dags/t.yaml")
        #expect(again.status == 0 && has(again, "run", "squares"))
        #expect(s.read("artifacts/latest/t/squares/values.txt") == "1\n4\n9\n")
        #expect(try s.loom("verify").status == 0)
    }

    static let vandal = """
    tasks:
      up: {kind: shell, cmd: "echo hello > $LOOM_OUT/f.txt"}
      other: {kind: shell, cmd: "echo hello > $LOOM_OUT/same-bytes.txt"}
      down:
        kind: shell
        needs: [up]
        cmd: |
          echo X >> $LOOM_IN/up/f.txt
          sed -i s/hello/HACKED/ $LOOM_IN/up/f.txt
          chmod u+w $LOOM_IN/up/f.txt && echo Y >> $LOOM_IN/up/f.txt
          touch $LOOM_IN/up/new.txt
          echo X >> $LOOM_ROOT/artifacts/blobs/*/*
          cat $LOOM_IN/up/f.txt > $LOOM_OUT/g.txt
    """

    /// Hole 2, with the store fenced off (root: mount namespace; as root every file mode is
    /// ignored, so only the read-only mount stops the writes).
    @Test func aTaskCannotChangeStoredArtifacts() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.vandal)
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 0, "every write failed; the task's own output is its business")
        #expect(s.read("artifacts/latest/t/up/f.txt") == "hello\n")
        #expect(s.read("artifacts/latest/t/other/same-bytes.txt") == "hello\n")
        #expect(s.read("artifacts/latest/t/down/g.txt") == "hello\n")
        #expect(!FileSystem.exists(s.root + "/artifacts/latest/t/up/new.txt"))
        #expect(try s.loom("verify").status == 0)
        #expect(!r.stderr.contains("isolation"), "namespaces are available here: no warning")
    }

    /// Hole 2, where no isolation is available: the task's writes land, but the check after the
    /// task notices them, fails the task naming the file, and evicts the damaged artifact; the
    /// artifact sharing the blob is never served either.
    @Test func withoutIsolationAChangedInputFailsTheTaskAndIsEvicted() throws {
        let s = Sandbox()
        s.environment = ["LOOM_ISOLATION": "none"]
        s.write("dags/t.yaml", Self.vandal)
        let r = try s.loom("run", "dags/t.yaml", "-j", "1")
        #expect(r.status == 1)
        #expect(r.stderr.contains("warning: task isolation is off (LOOM_ISOLATION=none)"))
        #expect(r.stderr.contains("error: task 'down' (kind shell) failed: the task changed input 'up' ('f.txt') under $LOOM_IN"))
        #expect(s.artifacts()["down"] == nil)
        // Nothing damaged is served: `up` and `other` (which shared the blob) run again, and
        // their bytes are right.
        s.write("dags/t.yaml", """
        tasks:
          up: {kind: shell, cmd: "echo hello > $LOOM_OUT/f.txt"}
          other: {kind: shell, cmd: "echo hello > $LOOM_OUT/same-bytes.txt"}
          down: {kind: shell, needs: [up], cmd: "cat $LOOM_IN/up/f.txt > $LOOM_OUT/g.txt"}
        """)
        let again = try s.loom("run", "dags/t.yaml", "-j", "1")
        #expect(again.status == 0)
        #expect(has(again, "run", "up") && has(again, "run", "other"))
        #expect(s.read("artifacts/latest/t/up/f.txt") == "hello\n")
        #expect(s.read("artifacts/latest/t/other/same-bytes.txt") == "hello\n")
        #expect(s.read("artifacts/latest/t/down/g.txt") == "hello\n")
    }

    /// Hole 2 for a task with many inputs, whose output is committed and synced while they are
    /// checked (`Builder.syncAheadFrom`): a changed input still fails it, and no key entry names
    /// the output it made; undamaged, it is cached like any other.
    @Test func aJoinThatChangedAnInputIsNotCached() throws {
        let s = Sandbox()
        s.environment = ["LOOM_ISOLATION": "none"]
        let n = 70
        func dag(_ join: String) -> String {
            var lines = ["tasks:"]
            for i in 0..<n { lines.append("  u\(i): {kind: shell, cmd: 'echo \(i) > $LOOM_OUT/o'}") }
            lines.append("  join: {kind: shell, needs: [\((0..<n).map { "u\($0)" }.joined(separator: ", "))], cmd: '\(join)'}")
            return lines.joined(separator: "\n") + "\n"
        }
        s.write("dags/t.yaml", dag("chmod u+w $LOOM_IN/u3/o; echo X >> $LOOM_IN/u3/o; cat $LOOM_IN/u*/o > $LOOM_OUT/all"))
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: task 'join' (kind shell) failed: the task changed input 'u3' ('o') under $LOOM_IN"), "\(r.stderr)")
        #expect(s.artifacts()["join"] == nil)
        // Its output was committed, but nothing serves it: the same command runs again (and
        // fails again: u3 was evicted and ran again, and is changed again).
        let again = try s.loom("run", "dags/t.yaml")
        #expect(again.status == 1 && has(again, "run", "u3") && !has(again, "cached", "join"))
        #expect(again.stderr.contains("the task changed input 'u3' ('o') under $LOOM_IN"))
        s.write("dags/t.yaml", dag("cat $LOOM_IN/u*/o > $LOOM_OUT/all"))
        let good = try s.loom("run", "dags/t.yaml")
        #expect(good.status == 0 && has(good, "run", "join"))
        #expect(s.read("artifacts/latest/t/join/all") == (0..<n).map { "\($0)\n" }.sorted().joined())   // the glob's order
        let noop = try s.loom("run", "dags/t.yaml")
        #expect(noop.status == 0 && has(noop, "cached", "join"))
        #expect(try s.loom("verify").status == 0)
    }

    /// For a task of many needs, `$LOOM_IN/<need>` is a view of the artifact (its own
    /// directories, the stored files' inodes): a task without isolation that adds, removes or
    /// replaces an entry in it fails, is not cached, and the next run sees the artifact again.
    @Test func aTaskThatChangesItsViewOfAnInputIsNotCached() throws {
        let s = Sandbox(), n = 70
        s.environment = ["LOOM_ISOLATION": "none"]
        func dag(_ join: String) -> String {
            var lines = ["tasks:"]
            for i in 0..<n { lines.append("  u\(i): {kind: shell, cmd: 'echo \(i) > $LOOM_OUT/o'}") }
            lines.append("  join: {kind: shell, needs: [\((0..<n).map { "u\($0)" }.joined(separator: ", "))], cmd: '\(join)'}")
            return lines.joined(separator: "\n") + "\n"
        }
        let view = s.root + "/artifacts/inputs/t/join/u0"
        s.write("dags/t.yaml", dag("chmod u+w $LOOM_IN/u0; touch $LOOM_IN/u0/new; cat $LOOM_IN/u*/o > $LOOM_OUT/all"))
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 1)
        #expect(r.stderr.contains("the task's view of input 'u0' under $LOOM_IN was changed"), "\(r.stderr)")
        #expect(s.artifacts()["join"] == nil)
        #expect(FileSystem.exists(view + "/new"))
        s.write("dags/t.yaml", dag("ls $LOOM_IN/u0 > $LOOM_OUT/listing; cat $LOOM_IN/u*/o > $LOOM_OUT/all"))
        let good = try s.loom("run", "dags/t.yaml")
        #expect(good.status == 0 && has(good, "run", "join"), "\(good.stderr)")
        #expect(s.read("artifacts/latest/t/join/listing") == "o\n")
        #expect(!FileSystem.exists(view + "/new"))
        #expect(s.read("artifacts/latest/t/join/all") == (0..<n).map { "\($0)\n" }.sorted().joined())
        // The view's file is the stored one.
        var a = stat(), b = stat()
        #expect(stat(view + "/o", &a) == 0 && stat(s.root + "/artifacts/latest/t/u0/o", &b) == 0 && a.st_ino == b.st_ino)
    }

    /// Hole 2 as an unprivileged user: `chmod u+w` and write works on one's own files, so the
    /// store is fenced off inside a user namespace.
    @Test(.enabled(if: isRoot, "needs root to become another user"))
    func anUnprivilegedTaskCannotChangeStoredArtifacts() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.vandal)
        s.becomeUnprivileged()
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(s.read("artifacts/latest/t/up/f.txt") == "hello\n")
        #expect(s.read("artifacts/latest/t/down/g.txt") == "hello\n")
        #expect(try s.loom("verify").status == 0)
        // And without the namespace: the check after the task catches it.
        s.environment = ["LOOM_ISOLATION": "none"]
        let r2 = try s.loom("run", "dags/t.yaml", "--force", "down")
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("the task changed input 'up' ('f.txt') under $LOOM_IN"))
    }

    /// Hole 3: links that leave the output through another link, and hard links to files
    /// outside it. (Inside the namespaces the output is a mount of its own, so the kernel refuses
    /// a hard link into it from outside, EXDEV; without them Loom copies the file at commit.)
    @Test func escapesAtCommitAreRefusedOrCopied() throws {
        let s = Sandbox()
        s.environment = ["LOOM_ISOLATION": "none"]
        s.write("outside.txt", "original\n")
        s.write("dags/t.yaml", """
        tasks:
          dotlink: {kind: shell, cmd: "cd $LOOM_OUT && ln -s . a && ln -s a/a/a/a/../../../../etc/passwd l"}
          hardlink: {kind: shell, cmd: "ln $LOOM_ROOT/outside.txt $LOOM_OUT/f.txt"}
        """)
        let r = try s.loom("run", "dags/t.yaml", "--keep-going")
        #expect(r.status == 1)
        #expect(r.stderr.contains("task 'dotlink' (kind shell) failed: output 'l' is a symbolic link to 'a/a/a/a/../../../../etc/passwd', which escapes $LOOM_OUT"))
        #expect(s.read("artifacts/latest/t/hardlink/f.txt") == "original\n")
        let fd = open(s.root + "/outside.txt", O_WRONLY | O_TRUNC)
        _ = "changed\n".withCString { write(fd, $0, 8) }
        close(fd)
        #expect(s.read("artifacts/latest/t/hardlink/f.txt") == "original\n")
        #expect(try s.loom("verify").status == 0)
    }

    /// Hole 4: a process started with setsid that keeps running cannot write into the
    /// committed artifact (with and without namespaces).
    @Test(arguments: ["", "none"]) func processesDoNotOutliveTheirTask(isolation: String) throws {
        let s = Sandbox()
        if !isolation.isEmpty { s.environment = ["LOOM_ISOLATION": isolation] }
        s.write("dags/t.yaml", """
        tasks:
          t:
            kind: shell
            cmd: |
              echo done > $LOOM_OUT/out.txt
              setsid sh -c 'exec 3>>'$LOOM_OUT'/out.txt; sleep 1; echo late >&3; echo late > '$LOOM_ROOT'/late.txt' &
        """)
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        usleep(1_600_000)
        #expect(s.read("artifacts/latest/t/t/out.txt") == "done\n")
        #expect(!FileSystem.exists(s.root + "/late.txt"), "the background process was killed with its task")
        #expect(try s.loom("verify").status == 0)
    }

    /// Hole 6: every derived cache is checksummed; a damaged one is ignored (with a warning) and
    /// rebuilt, and never changes what runs or what is recorded.
    @Test func damagedCachesAreIgnoredAndRebuilt() throws {
        let s = Sandbox()
        s.write("data/in.txt", "3\n")
        // Older than the stat cache's racy window, so it is remembered there.
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, s.root + "/data/in.txt", &times, 0)
        s.write("dags/t.yaml", """
        tasks:
          numbers: {kind: shell, files: [data/in.txt], cmd: "seq 1 $(cat data/in.txt) > $LOOM_OUT/n.txt; echo '{\\"count\\": 3}' > $LOOM_OUT/metrics.json"}
        """)
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        func damage(_ rel: String) throws {
            let path = s.root + "/" + rel
            var bytes = try FileSystem.readBytes(path)
            bytes[bytes.count / 2] ^= 0x01
            try FileSystem.writeAtomically(path, bytes)
        }
        let graphs = try FileSystem.listDirectory(s.root + "/artifacts/graphs")
        #expect(graphs.count == 1)
        for (file, what) in [("artifacts/graphs/\(graphs[0])", "parsed DAG cache"), ("artifacts/state/t.memo", "no-op memo"),
                             ("artifacts/statcache", "stat cache"), ("artifacts/state/t.tsv", "build state")] {
            try damage(file)
            let r = try s.loom("run", "dags/t.yaml", "--force", "numbers")
            #expect(r.status == 0, "\(file)")
            #expect(r.stderr.contains("warning:") && r.stderr.contains(" is damaged (checksum mismatch)"), "\(what): \(r.stderr)")
            #expect(s.read("artifacts/latest/t/numbers/n.txt") == "1\n2\n3\n")
            #expect(try s.lastRun().tasks.first?.metrics == ["count": 3])
            let quiet = try s.loom("run", "dags/t.yaml")
            #expect(!quiet.stderr.contains("damaged"), "rebuilt: \(what)")
        }
        // A key entry with a changed byte is a miss, never another artifact.
        let keys = s.root + "/artifacts/keys"
        for shard in try FileSystem.listDirectory(keys) {
            for k in try FileSystem.listDirectory(keys + "/" + shard) { try damage("artifacts/keys/\(shard)/\(k)") }
        }
        FileSystem.removeTree(s.root + "/artifacts/state")
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 0 && has(r, "run", "numbers"))
    }
}

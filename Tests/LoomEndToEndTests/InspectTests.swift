import Foundation
import Testing
import LoomCore

/// `loom logs`, `loom ls` and `--json` on status, du, dag and kinds, with the real binary.
@Suite(.serialized) struct InspectTests {
    static let dag = """
    tasks:
      data:
        kind: shell
        cmd: echo one; echo two >&2; mkdir $LOOM_OUT/sub && printf 12345 > $LOOM_OUT/sub/five.txt && echo x > $LOOM_OUT/a.txt
      slow:
        kind: shell
        needs: [data]
        cmd: for i in 1 2 3; do echo line$i; sleep 0.3; done
    """

    @Test func logsOfARunAndTheirErrors() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.dag)
        #expect(try s.loom("run", "t", "data", "-q").status == 0)
        let log = try s.loom("logs", "last", "data")
        #expect(log.status == 0 && log.stdout == "one\ntwo\n", "\(log.stdout)")
        #expect(try s.loom("run", "t", "data", "-q").status == 0)
        let cached = try s.loom("logs", "last", "data"), last = try s.lastRun().id.value
        #expect(cached.status == 2 && cached.stderr.hasSuffix("has no log in run \(last): it did not run (cached)\n"))
        let typo = try s.loom("logs", "last", "dta")
        #expect(typo.status == 2 && typo.stderr.hasSuffix("has no task 'dta' (did you mean 'data'?)\n"))
        #expect(try s.loom("logs", "nope", "data").status == 2)
        #expect(try s.loom("logs", "last", "../../etc/passwd").status == 2)
    }

    /// -f prints the log while the task writes it and returns when the run is over.
    @Test func followsARunningTask() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.dag)
        let (run, _, _) = try s.start(["run", "t", "-q"])
        // Wait for the run's record to exist (its directory is made when it starts).
        let deadline = Date().addingTimeInterval(10)
        while RunStore(root: s.root + "/experiments").ids().isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let follow = try s.loom("logs", "last", "slow", "-f", "--interval", "0.05")
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        #expect(follow.status == 0 && follow.stdout == "line1\nline2\nline3\n", "\(follow.stdout) \(follow.stderr)")
    }

    @Test func lsAndJSON() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.dag)
        let never = try s.loom("ls", "t", "data")
        #expect(never.status == 3 && never.stderr.contains("has never been built"))
        let status = try JSON.parse(try s.loom("status", "t", "--json").stdout)
        #expect(status.array?.compactMap { $0["status"]?.string } == ["stale", "stale"])
        #expect(status.array?.first?["reasons"] == .array([.string("never run")]))
        #expect(try s.loom("run", "t", "data", "-q").status == 0)
        let ls = try s.loom("ls", "t", "data")
        #expect(ls.status == 0)
        #expect(ls.stdout.hasPrefix("2 B  a.txt\n5 B  sub/five.txt\n2 files, 7 B in \(s.root)/artifacts/trees/"), "\(ls.stdout)")
        let files = try JSON.parse(try s.loom("ls", "t", "data", "--json").stdout)
        #expect(files == .array([.object(["path": .string("a.txt"), "size": .int(2)]), .object(["path": .string("sub/five.txt"), "size": .int(5)])]))
        let after = try JSON.parse(try s.loom("status", "t", "--json").stdout)
        #expect(after.array?.first?["status"]?.string == "up-to-date" && after.array?.first?["key"]?.string?.count == 64)
        let du = try JSON.parse(try s.loom("du", "--json").stdout)
        #expect(du["dags"]?.array?.first?["tasks"]?.array?.first?["bytes"]?.int == 7)
        let dag = try JSON.parse(try s.loom("dag", "t", "--json").stdout)
        #expect(dag["tasks"]?.array?.last == .object(["name": .string("slow"), "kind": .string("shell"), "needs": .array([.string("data")])]))
        let kinds = try JSON.parse(try s.loom("kinds", "--json").stdout)
        #expect(kinds.array?.first?["name"]?.string == "shell" && (kinds.array?.count ?? 0) > 5)
        #expect(kinds.array?.contains { $0["name"]?.string == "kmeans" && $0["params"]?.array?.isEmpty == false } == true)
    }
}

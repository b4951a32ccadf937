import Foundation
import Testing
import LoomCore

/// Run records that say where they came from, `loom rerun`, gates checked before the run, and the
/// experiment table, with the real binary.
@Suite(.serialized) struct ProvenanceTests {
    func sandbox() -> Sandbox {
        let s = Sandbox()
        s.write("dags/t.yaml", measured)
        return s
    }

    /// Runs git in the sandbox (fixed identity and branch, no user or system config).
    @discardableResult
    func git(_ s: Sandbox, _ args: String...) throws -> String {
        let (p, out, _) = try Child.start(["/usr/bin/env", "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"] + args,
                                          in: s.root,
                                          environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": s.root])
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw InternalError("git \(args) exited \(p.terminationStatus)") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var hasGit: Bool { GitState.findExecutable("git") != nil }

    @Test func withoutGitTheRecordSaysSoAndKeepsTheDAGText() throws {
        let s = sandbox()
        #expect(try s.loom("run", "t", "-q").status == 0)
        let r = try s.lastRun()
        let p = try #require(r.provenance)
        #expect(p.git == nil)
        #expect(p.loomVersion == "0.1.0" && p.loomBuild?.count == 40)
        #expect(p.user == Provenance.currentUser())
        #expect(p.dagText == "dags/\(r.dagDigest.hex).yaml")
        #expect(s.read("experiments/\(p.dagText ?? "")") == measured)
        let show = try s.loom("show")
        #expect(show.stdout.contains("\ncommit none (not in a git repository)\nloom 0.1.0 (build \(p.loomBuild!.prefix(12)))\nuser \(p.user)\nhost "))
    }

    @Test(.enabled(if: hasGit)) func gitCommitBranchAndDirtiness() throws {
        let s = sandbox()
        s.write(".gitignore", "artifacts/\nexperiments/\n")
        try git(s, "init", "-q")
        // A repository without commits: the branch, and no commit.
        #expect(try s.loom("run", "t", "-q").status == 0)
        var g = try #require(try s.lastRun().provenance?.git)
        #expect(g.commit == nil && g.commitNote == "no commits yet" && g.branch == "main" && g.dirty == false)
        try git(s, "add", "-A")
        try git(s, "commit", "-q", "-m", "one")
        let head = try git(s, "rev-parse", "HEAD")
        // Nothing runs: dirtiness is not asked (it costs a process); the record says why.
        #expect(try s.loom("run", "t", "-q").status == 0)
        g = try #require(try s.lastRun().provenance?.git)
        #expect(g == GitState(commit: head, branch: "main", dirty: nil, dirtyNote: "not checked: no task ran"))
        // An uncommitted edit of a tracked file, and a task runs: dirty.
        s.write("dags/t.yaml", measured.replacingOccurrences(of: "seq 1 {{params.n}}", with: "seq 0 {{params.n}}"))
        #expect(try s.loom("run", "t", "-q").status == 0)
        g = try #require(try s.lastRun().provenance?.git)
        #expect(g == GitState(commit: head, branch: "main", dirty: true))
        let diff = try s.loom("diff")
        #expect(diff.stdout.contains("\nprovenance\n"), "\(diff.stdout)")
        #expect(diff.stdout.contains("\n  dirty  unknown (not checked: no task ran) -> yes\n"), "\(diff.stdout)")
        #expect(diff.stdout.contains("  dag text:\n"))
        #expect(diff.stdout.contains("    -     cmd: seq 1 {{params.n}} > $LOOM_OUT/d.txt\n    +     cmd: seq 0 {{params.n}} > $LOOM_OUT/d.txt\n"), "\(diff.stdout)")
        #expect(diff.stdout.contains("  data: key changed, output changed\n      - command changed\n        - seq 1 {{params.n}} > $LOOM_OUT/d.txt\n        + seq 0 {{params.n}} > $LOOM_OUT/d.txt\n"), "\(diff.stdout)")
        // Detached HEAD, from packed refs only.
        try git(s, "commit", "-q", "-am", "two")
        try git(s, "checkout", "-q", "--detach")
        try git(s, "pack-refs", "--all")
        #expect(try s.loom("run", "t", "-q", "--force", "report").status == 0)
        g = try #require(try s.lastRun().provenance?.git)
        #expect(g == GitState(commit: try git(s, "rev-parse", "HEAD"), branch: nil, dirty: false))
        let rerun = try s.loom("rerun", "last~1", "-q")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("warning: the project is at commit \(try git(s, "rev-parse", "HEAD").prefix(12)); run "), "\(rerun.stderr)")
        #expect(rerun.stderr.contains("ran with uncommitted changes"))
    }

    /// A repository but no git executable, and a damaged HEAD: the run goes on, the record says why.
    @Test func noGitExecutableAndADamagedHead() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: '/bin/echo 1 > $LOOM_OUT/o'}\n")
        let commit = String(repeating: "5e", count: 20)
        s.write(".git/HEAD", "ref: refs/heads/trunk\n")
        s.write(".git/refs/heads/trunk", commit + "\n")
        s.environment["PATH"] = "/nonexistent"
        let r = try s.loom("run", "t", "-q")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try s.lastRun().provenance?.git == GitState(commit: commit, branch: "trunk", dirty: nil, dirtyNote: "git is not installed (no git on PATH)"))
        s.write(".git/HEAD", "garbage\n")
        #expect(try s.loom("run", "t", "-q", "--force", "a").status == 0)
        #expect(try s.lastRun().provenance?.git == GitState(dirty: nil, commitNote: "HEAD unreadable: 'garbage'", dirtyNote: "git is not installed (no git on PATH)"))
        #expect(try s.loom("show").stdout.contains("\ncommit none (HEAD unreadable: 'garbage') (dirty unknown: git is not installed (no git on PATH))\n"))
    }

    @Test func rerunRepeatsParamsAndTargetsAndWarnsOfChanges() throws {
        let s = sandbox()
        #expect(try s.loom("run", "t", "model", "-P", "k=5", "-q", "--name", "five").status == 0)
        #expect(try s.loom("run", "t", "-q").status == 0)
        let again = try s.loom("rerun", "five")
        #expect(again.status == 0, "\(again.stderr)")
        let five = try #require(RunStore(root: s.root + "/experiments").ids().first)
        var r = try s.lastRun()
        #expect(r.params["k"] == .int(5) && r.targets == ["model"] && r.rerunOf == five.value && r.overrides == ["k"])
        #expect(r.tasks.map(\.status) == [.cached, .cached])
        #expect(!again.stderr.contains("warning"))
        // -P changes one param.
        #expect(try s.loom("rerun", "five", "-P", "n=12", "-q").status == 0)
        r = try s.lastRun()
        #expect(r.params["k"] == .int(5) && r.params["n"] == .int(12))
        // The DAG changed since: a warning with its line diff; a param gone and one new.
        s.write("dags/t.yaml", measured.replacingOccurrences(of: "  n: 10\n", with: "  rows: 10\n").replacingOccurrences(of: "params.n", with: "params.rows"))
        let changed = try s.loom("rerun", "five", "-q")
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stderr.contains("warning: dags/t.yaml changed since run \(five.value) (text "))
        #expect(changed.stderr.contains("\n    -   n: 10\n    +   rows: 10\n"), "\(changed.stderr)")
        #expect(changed.stderr.contains("warning: param 'n' (10 in run \(five.value)) is no longer in the DAG; left out"))
        #expect(changed.stderr.contains("warning: param 'rows' is new since run \(five.value); using its value in the DAG, 10"))
        #expect(changed.stderr.contains("warning: run \(five.value) was recorded before") == false)
    }

    @Test func hostileReferences() throws {
        let s = sandbox()
        let none = try s.loom("rerun", "nope")
        #expect(none.status == 2 && none.stderr == "error: no run matches 'nope'\n")
        #expect(try s.loom("run", "t", "-q").status == 0)
        let id = try s.lastRun().id.value
        // A DAG deleted since the run: exit 3, naming the stored copy.
        try FileManager.default.removeItem(atPath: s.root + "/dags/t.yaml")
        let gone = try s.loom("rerun", "last")
        #expect(gone.status == 3)
        #expect(gone.stderr == "error: run \(id) ran dags/t.yaml, which no longer exists; the text it ran is kept in experiments/dags/\(try s.lastRun().dagDigest.hex).yaml (copy it back to rerun)\n")
        // A damaged record: exit 3 with its path, for show, diff and rerun alike.
        s.write("experiments/\(id)/run.json", "{\"format\": \"loom-run 1\", \"id\":")
        for args in [["show", id], ["rerun", id], ["diff", id, id]] {
            let bad = try s.loom(args)
            #expect(bad.status == 3, "\(args)")
            #expect(bad.stderr.hasPrefix("error: cannot read run record \(s.root)/experiments/\(id)/run.json: not JSON ("), "\(bad.stderr)")
        }
        s.write("experiments/\(id)/run.json", "{\"format\": \"loom-run 7\"}")
        #expect(try s.loom("show", id).stderr.contains("not a loom run record of a known format (format 'loom-run 7'; this loom reads loom-run 1 and 2)"))
    }

    @Test func gatesAreCheckedBeforeTheRun() throws {
        let s = sandbox()
        #expect(try s.loom("run", "t", "-q").status == 0)
        let runs = { RunStore(root: s.root + "/experiments").ids().count }
        let typo = try s.loom("run", "t", "-q", "--fail-if", "model.acu < 0.1")
        #expect(typo.status == 2)
        #expect(typo.stderr == "error: gate 'model.acu < 0.1': no earlier run recorded metric 'model.acu' (did you mean 'model.auc'?); recorded: auc, rows\n")
        let task = try s.loom("run", "t", "-q", "--fail-if-drop", "modle.auc > 0.1")
        #expect(task.status == 2 && task.stderr == "error: gate 'modle.auc > 0.1': dags/t.yaml has no task 'modle' (did you mean 'model'?)\n")
        let outside = try s.loom("run", "t", "data", "-q", "--fail-if", "model.auc < 0.1")
        #expect(outside.status == 2 && outside.stderr.contains("task 'model' is not part of this run, which runs only data"))
        let baseline = try s.loom("run", "t", "-q", "--fail-if-drop", "model.auc > 0.1", "--baseline", "nope")
        #expect(baseline.status == 2 && baseline.stderr == "error: --baseline: no run matches 'nope'\n")
        #expect(runs() == 1, "no run started")
        let first = try #require(RunStore(root: s.root + "/experiments").ids().first).value
        // A metric nothing close to which was recorded: checked after the run, said before it.
        let new = try s.loom("run", "t", "-q", "--fail-if", "report.f1 < 0.1")
        #expect(new.status == 5)
        #expect(new.stderr.contains("warning: gate 'report.f1 < 0.1': no earlier run of dags/t.yaml recorded metric 'report.f1' (recorded: auc, rows); it is checked after the run"))
        let noMetric = try s.loom("run", "t", "-q", "--fail-if-drop", "report.f1 > 0.1")
        #expect(noMetric.status == 5 && noMetric.stderr.contains("warning: gate 'report.f1 > 0.1': run \(first), the yardstick, has no metric 'report.f1': nothing to compare with"), "\(noMetric.stderr)")
        // Same params: the last successful run is the yardstick.
        let same = try s.loom("run", "t", "-q", "--force", "model", "--fail-if-drop", "model.auc > 0.1")
        #expect(same.status == 0 && !same.stderr.contains("warning"), "\(same.stderr)")
    }

    @Test func experimentTable() throws {
        let s = sandbox()
        s.write("dags/t.yaml", measured.replacingOccurrences(of: "  n: 10\n", with: "  n: 10\n  day: \"2020-06-30\"\n"))
        #expect(try s.loom("run", "t", "-q", "-P", "k=2,5", "--tag", "sw").status == 0)
        #expect(try s.loom("run", "t", "-q", "-P", "day=2021-01-01", "--name", "later").status == 0)
        let list = try s.loom("runs")
        let header = try #require(list.stdout.split(separator: "\n").first)
        #expect(header.split(separator: " ") == ["ID", "STATUS", "DAG", "STARTED", "TIME", "RAN", "CACHED", "FAILED", "PARAMS", "NAME"], "\(list.stdout)")
        #expect(list.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ").suffix(2).joined(separator: " ") }
                == ["day=2021-01-01 later", "k=5 #sw", "k=2 #sw"], "\(list.stdout)")
        let exp = try s.loom("runs", "--exp", "--sort-by", "model.auc", "--sort-order", "desc")
        let lines = exp.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ") == ["ID", "STATUS", "DAG", "STARTED", "day", "k", "model.auc", "report.auc", "NAME"], "\(exp.stdout)")
        // auc: k=5 0.4, k=4 0.375, k=2 0.25.
        #expect(lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).suffix(3).joined(separator: " ") }
                == ["0.4 0.4 #sw", "0.375 0.375 later", "0.25 0.25 #sw"], "\(exp.stdout)")
        #expect(try s.loom("runs", "--tag", "sw").stdout.split(separator: "\n").count == 3)
        #expect(try s.loom("runs", "--name", "later").stdout.split(separator: "\n").count == 2)
        let json = try JSON.parse(try s.loom("runs", "--name", "later", "--json").stdout)
        let params = json.array?.first?["params"]
        #expect(params?["k"] == .int(4) && params?["day"] == .string("2021-01-01"), "typed, not canonical text")
        let unknown = try s.loom("runs", "--sort-by", "model.aux")
        #expect(unknown.status == 2 && unknown.stderr.contains("(did you mean 'model.auc'?)"))
    }
}

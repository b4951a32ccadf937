import Foundation
import Testing
@testable import LoomCore

/// `.git` read by hand: HEAD, loose and packed refs, worktree files, and every way it can be
/// missing or damaged. The directories are made here, so no git is needed.
@Suite struct GitStateTests {
    let commit = String(repeating: "ab", count: 20)
    let other = String(repeating: "cd", count: 20)

    func repo(_ files: [String: String]) -> String {
        let root = NSTemporaryDirectory() + "loom-git-" + UUID().uuidString
        for (path, text) in files {
            let p = root + "/" + path
            try? FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? text.write(toFile: p, atomically: true, encoding: .utf8)
        }
        try? FileManager.default.createDirectory(atPath: root + "/proj/sub", withIntermediateDirectories: true)
        return root
    }

    @Test func branchFromALooseRefFoundFromASubdirectory() {
        let root = repo([".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": commit + "\n"])
        defer { FileSystem.removeTree(root) }
        #expect(GitState.read(from: root + "/proj/sub") == GitState(commit: commit, branch: "main"))
    }

    @Test func packedRefWhenNoLooseOne() {
        let root = repo([".git/HEAD": "ref: refs/heads/feature/x\n",
                         ".git/packed-refs": "# pack-refs with: peeled fully-peeled sorted\n\(other) refs/heads/main\n\(commit) refs/heads/feature/x\n^\(other)\n"])
        defer { FileSystem.removeTree(root) }
        #expect(GitState.read(from: root) == GitState(commit: commit, branch: "feature/x"))
    }

    @Test func detachedHead() {
        let root = repo([".git/HEAD": commit + "\n"])
        defer { FileSystem.removeTree(root) }
        #expect(GitState.read(from: root) == GitState(commit: commit, branch: nil))
    }

    @Test func noCommitsYet() {
        let root = repo([".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/.keep": ""])
        defer { FileSystem.removeTree(root) }
        #expect(GitState.read(from: root) == GitState(branch: "main", commitNote: "no commits yet"))
    }

    /// A linked worktree: `.git` is a file naming its git directory, whose `commondir` holds the refs.
    @Test func linkedWorktree() {
        let root = repo(["main/.git/refs/heads/wt": commit + "\n", "main/.git/worktrees/wt/HEAD": "ref: refs/heads/wt\n",
                         "main/.git/worktrees/wt/commondir": "../..\n", "proj/.git": "gitdir: ../main/.git/worktrees/wt\n"])
        defer { FileSystem.removeTree(root) }
        #expect(GitState.read(from: root + "/proj/sub") == GitState(commit: commit, branch: "wt"))
    }

    @Test func damagedHeadAndRefs() {
        let garbage = repo([".git/HEAD": "not a ref\n"])
        let badRef = repo([".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": "zzzz\n"])
        let escaping = repo([".git/HEAD": "ref: ../../etc/passwd\n"])
        let noHead = repo([".git/config": ""])
        defer { for r in [garbage, badRef, escaping, noHead] { FileSystem.removeTree(r) } }
        #expect(GitState.read(from: garbage) == GitState(commitNote: "HEAD unreadable: 'not a ref'"))
        #expect(GitState.read(from: badRef) == GitState(branch: "main", commitNote: "refs/heads/main unreadable: 'zzzz'"))
        #expect(GitState.read(from: escaping)?.commit == nil)
        #expect(GitState.read(from: noHead)?.commitNote?.hasPrefix("HEAD unreadable: no file ") == true)
    }

    @Test func outsideAnyRepository() {
        let root = repo(["proj/x": ""])
        defer { FileSystem.removeTree(root) }
        // The temporary directory is not inside a repository (the tests' sandboxes rely on it too).
        #expect(GitState.read(from: root + "/proj") == nil)
    }

    @Test func dirtyCheckWithoutGitSaysSo() {
        #expect(GitState.checkDirty("/tmp", git: nil) == (nil, "git is not installed (no git on PATH)"))
        #expect(GitState.findExecutable("git", path: "/nonexistent:") == nil)
        #expect(DirtyCheck(workTree: "/tmp").outcome == (nil, "not checked: no task ran"))
    }
}

@Suite struct ProvenanceRecordTests {
    static func record() -> RunRecord {
        RunRecord(id: RunID("20261203-010203-004-ab"), dagPath: "dags/t.yaml", dagName: "t", dagDigest: Digest(of: "x"),
                  params: ["k": .int(5), "day": .string("2020-06-30")], jobs: 2, startedAt: Date(timeIntervalSince1970: 0),
                  status: .succeeded, tasks: [])
    }

    @Test func roundTripsAndIsCanonical() throws {
        var r = Self.record()
        r.rerunOf = "20261203-000000-000-00"
        r.provenance = Provenance(loomVersion: "0.1.0", loomBuild: "beef", user: "ann",
                                  git: GitState(branch: "main", dirty: nil, commitNote: "no commits yet", dirtyNote: "not checked: no task ran"),
                                  dagText: "dags/\(Digest(of: "x").hex).yaml")
        let bytes = r.encoded(pretty: false)
        #expect(try JSON.parse(bytes).encodedBytes() == bytes)
        let back = try #require(RunRecord(json: try JSON.parse(bytes)))
        #expect(back.provenance == r.provenance)
        #expect(back.rerunOf == r.rerunOf)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"format\":\"loom-run 2\""))
    }

    /// A record written before provenance (format 1) still reads, without it.
    @Test func formatOneReads() throws {
        var text = String(decoding: Self.record().encoded(pretty: false), as: UTF8.self)
        text = text.replacingOccurrences(of: "loom-run 2", with: "loom-run 1")
        let r = try #require(RunRecord(json: try JSON.parse(text)))
        #expect(r.provenance == nil && r.params["day"] == .string("2020-06-30"))
        #expect(RunRecord(json: try JSON.parse(text.replacingOccurrences(of: "loom-run 1", with: "loom-run 9"))) == nil)
    }

    @Test func diffListsProvenanceChanges() {
        var a = Self.record(), b = Self.record()
        a.host = "h1"
        b.host = "h1"
        a.provenance = Provenance(loomVersion: "0.1.0", loomBuild: "b1", user: "ann", git: GitState(commit: "aaa", branch: "main", dirty: false))
        b.provenance = Provenance(loomVersion: "0.1.0", loomBuild: "b2", user: "ann", git: GitState(commit: "bbb", branch: nil, dirty: true))
        b.dagDigest = Digest(of: "y")
        let texts = [Digest(of: "x"): "a: 1\nb: 2\n", Digest(of: "y"): "a: 1\nb: 3\n"]
        let d = RunDiff(old: a, new: b, dagText: { texts[$0] })
        #expect(d.provenance.map(\.field) == ["dag", "commit", "branch", "dirty", "loom build"])
        #expect(d.provenance[2] == RunDiff.ProvenanceChange(field: "branch", old: "main", new: "detached HEAD"))
        #expect(d.dagText == ["  a: 1", "- b: 2", "+ b: 3"])
        // Against a record of format 1: every field it lacks reads as unknown.
        var old = Self.record()
        old.host = "h1"
        #expect(RunDiff(old: old, new: a).provenance.first { $0.field == "commit" }?.old == "unknown (recorded before provenance)")
    }

    @Test func dagTextStoreKeepsOneCheckedCopy() throws {
        let root = NSTemporaryDirectory() + "loom-texts-" + UUID().uuidString
        defer { FileSystem.removeTree(root) }
        let store = DAGTextStore(runsRoot: root)
        let d = Digest(of: "tasks: {}\n")
        #expect(try store.store("tasks: {}\n", digest: d) == "dags/\(d.hex).yaml")
        #expect(try store.store("tasks: {}\n", digest: d) == "dags/\(d.hex).yaml")
        #expect(store.text(for: d) == "tasks: {}\n")
        try FileSystem.writeAtomically(root + "/dags/\(d.hex).yaml", "damaged")
        #expect(store.text(for: d) == nil, "a copy whose digest differs is not the text")
    }
}

@Suite struct LineDiffTests {
    @Test func changedLinesWithContext() {
        #expect(LineDiff.lines("a\nb\nc\n", "a\nx\nc\nd\n").map(\.text) == ["  a", "- b", "+ x", "  c", "+ d"])
        #expect(LineDiff.hunks("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\n5\n6\n7\nX\n", context: 1) == ["  7", "- 8", "+ X"])
        #expect(LineDiff.hunks("1\n2\n3\n4\n5\n", "0\n2\n3\n4\n6\n", context: 1) == ["- 1", "+ 0", "  2", "  ...", "  4", "- 5", "+ 6"])
        #expect(LineDiff.hunks("", "echo hi") == ["+ echo hi"])
        #expect(LineDiff.hunks("same\n", "same\n").isEmpty)
    }
}

@Suite struct RunSummaryFormatTests {
    /// An index line of format 1 has params only as canonical text: they read back typed.
    @Test func formatOneParamsReadTyped() throws {
        let line = #"{"counts":{},"dag":"dags/t.yaml","format":"loom-run-summary 1","gateFailures":[],"id":"20261203-010203-004-ab","metrics":{},"params":{"day":"\"2020-06-30\"","k":"5","r":"0.5","xs":"[1, \"a\"]","m":"{a: true}"},"startedAt":"2026-12-03T01:02:03.004Z","status":"succeeded","tags":[]}"#
        let s = try #require(RunSummary(json: try JSON.parse(line)))
        #expect(s.paramValues == ["day": .string("2020-06-30"), "k": .int(5), "r": .float(0.5), "xs": .list([.int(1), .string("a")]),
                                  "m": .map(["a": .bool(true)])])
        #expect(s.overrides.isEmpty && s.commit == nil)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a run came from, beside the record's `host`, `dag` and `dagDigest`: the project's git
/// state, the Loom that ran it, the user, and where the DAG's text is kept.
///
/// In `run.json` (format 2) the object `provenance`: `loom` (version), `loomBuild` (GNU build ID,
/// absent if the executable has none), `user`, `dagText` (path of the stored copy of the DAG text,
/// relative to `experiments/`; absent if it could not be stored), `git` (absent outside a git
/// repository): `commit`, `branch` (absent when detached), `dirty` (absent when unknown),
/// `commitNote` and `dirtyNote` (why either is unknown). Records of format 1 have none.
public struct Provenance: Sendable, Equatable {
    public var loomVersion: String
    public var loomBuild: String?
    public var user: String
    public var git: GitState?
    /// `dags/<digest>.yaml`, relative to the runs root: see `DAGTextStore`.
    public var dagText: String?

    public init(loomVersion: String, loomBuild: String?, user: String, git: GitState?, dagText: String? = nil) {
        self.loomVersion = loomVersion
        self.loomBuild = loomBuild
        self.user = user
        self.git = git
        self.dagText = dagText
    }

    /// The name of the user this process runs as (from the password database, else `uid N`).
    public static func currentUser() -> String {
        let uid = getuid()
        if let pw = getpwuid(uid), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(uid)"
    }

    func write(_ w: inout JSONWriter) {
        w.openObject()
        if let dagText { w.field("dagText", dagText) }
        if let git {
            w.key("git")
            w.openObject()
            if let b = git.branch { w.field("branch", b) }
            if let c = git.commit { w.field("commit", c) }
            if let n = git.commitNote { w.field("commitNote", n) }
            if let d = git.dirty { w.key("dirty"); w.value(.bool(d)) }
            if let n = git.dirtyNote { w.field("dirtyNote", n) }
            w.closeObject()
        }
        w.field("loom", loomVersion)
        if let loomBuild { w.field("loomBuild", loomBuild) }
        w.field("user", user)
        w.closeObject()
    }

    init?(json j: JSON) {
        guard let version = j["loom"]?.string else { return nil }
        var git: GitState?
        if let g = j["git"], case .object = g {
            git = GitState(commit: g["commit"]?.string, branch: g["branch"]?.string, dirty: g["dirty"]?.bool,
                           commitNote: g["commitNote"]?.string, dirtyNote: g["dirtyNote"]?.string)
        }
        self.init(loomVersion: version, loomBuild: j["loomBuild"]?.string, user: j["user"]?.string ?? "", git: git,
                  dagText: j["dagText"]?.string)
    }

    /// One line per field as people read it (`commit 1a2b3c4d (main, dirty)`), for `show` and `diff`.
    public var lines: [(field: String, value: String)] {
        var out: [(String, String)] = []
        if let g = git {
            var c = g.commit.map { String($0.prefix(12)) } ?? "none (\(g.commitNote ?? "unknown"))"
            var notes = [g.branchText].compactMap { $0 }
            switch g.dirty {
            case true?: notes.append("dirty")
            case false?: notes.append("clean")
            case nil: notes.append("dirty unknown: \(g.dirtyNote ?? "not checked")")
            }
            c += " (" + notes.joined(separator: ", ") + ")"
            out.append(("commit", c))
        } else {
            out.append(("commit", "none (not in a git repository)"))
        }
        out.append(("loom", loomVersion + (loomBuild.map { " (build \($0.prefix(12)))" } ?? "")))
        out.append(("user", user))
        return out
    }
}

/// The DAG texts runs were started from, kept under `experiments/dags/<sha256>.yaml` (the
/// `Digest` of the text, the record's `dagDigest`): content-addressed, so a thousand runs of one
/// DAG keep one copy, and a copy is never rewritten. Written when a run starts, if absent (a stat
/// on a no-op run). `loom diff` compares two runs' texts from here, and `loom rerun` shows what
/// changed since. A copy is the exact text whose digest the record holds; `text(for:)` checks it.
public struct DAGTextStore: Sendable {
    public let runsRoot: String
    public init(runsRoot: String) { self.runsRoot = runsRoot }

    public static func relativePath(_ d: Digest) -> String { "dags/\(d.hex).yaml" }

    /// Stores `text` (whose digest is `digest`) if not stored yet; returns its path relative to the
    /// runs root.
    public func store(_ text: String, digest: Digest) throws -> String {
        let rel = Self.relativePath(digest), path = runsRoot + "/" + rel
        if FileSystem.exists(path) { return rel }
        try FileSystem.makeDirectories(runsRoot + "/dags")
        // Written under a temporary name and renamed: a reader never sees half a copy.
        try FileSystem.writeAtomically(path, text)
        return rel
    }

    /// The stored text with this digest, nil if absent or damaged (its digest differs).
    public func text(for digest: Digest) -> String? {
        guard let text = try? FileSystem.readText(runsRoot + "/" + Self.relativePath(digest)), Digest(of: text) == digest else { return nil }
        return text
    }
}

import Foundation
import Testing
@testable import LoomCore

@Suite struct LocalStoreTests {
    @Test func commitStoresByContentAndDeduplicates() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        func stage(_ files: [String: String]) throws -> String {
            let s = try store.makeStaging(label: "t")
            for (p, text) in files {
                try FileSystem.makeDirectories(((s + "/" + p) as NSString).deletingLastPathComponent)
                try FileSystem.writeAtomically(s + "/" + p, text)
            }
            return s
        }
        let a = try store.commit(staging: try stage(["x.txt": "same", "sub/y.txt": "other"]))
        let b = try store.commit(staging: try stage(["sub/y.txt": "other", "x.txt": "same"]))
        #expect(a == b)
        #expect(store.contains(a))
        #expect(try FileSystem.readText(store.location(of: a) + "/sub/y.txt") == "other")
        // Identical files are one blob (hard links).
        let c = try store.commit(staging: try stage(["copy.txt": "same"]))
        var s1 = stat(), s2 = stat()
        stat(store.location(of: a) + "/x.txt", &s1)
        stat(store.location(of: c) + "/copy.txt", &s2)
        #expect(s1.st_ino == s2.st_ino)
        #expect(store.verify(a))
        #expect((try FileSystem.listDirectory(dir.path + "/artifacts/tmp")).isEmpty)
    }

    /// A power loss can leave a blob cut short (its data never reached the disk) under an artifact
    /// whose directory did. No key points at it (keys are written after a sync), and committing
    /// the same content again must repair it rather than trust it.
    @Test func committingAgainRepairsAnArtifactCutShortByACrash() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        func stage() throws -> String {
            let s = try store.makeStaging(label: "t")
            try FileSystem.writeAtomically(s + "/x.txt", "twelve bytes")
            return s
        }
        let a = try store.commit(staging: try stage())
        let blob = dir.path + "/artifacts/blobs/\(Digest(of: "twelve bytes").hex.prefix(2))/\(Digest(of: "twelve bytes").hex)"
        chmod(blob, 0o644)
        #expect(truncate(blob, 0) == 0)
        #expect(!store.verify(a))
        #expect(try store.commit(staging: try stage()) == a)
        #expect(store.verify(a))
        #expect(try FileSystem.readText(store.location(of: a) + "/x.txt") == "twelve bytes")
        #expect((try FileSystem.listDirectory(dir.path + "/artifacts/tmp")).isEmpty)
    }

    /// Key entries are recorded only after the store is synced, and all of them by `drain()`.
    @Test func groupCommitSyncsBeforeRecording() throws {
        final class Recorder: ArtifactStore, ActionCache, @unchecked Sendable {
            let lock = NSLock()
            var events: [String] = []
            func note(_ e: String) { lock.lock(); events.append(e); lock.unlock() }
            func makeStaging(label: String) throws -> String { "" }
            func commit(staging: String) throws -> Digest { Digest(of: staging) }
            func discard(staging: String) {}
            func contains(_ digest: Digest) -> Bool { true }
            func membership() -> StoreMembership? { nil }
            func location(of digest: Digest) -> String { "" }
            func sync() throws { note("sync") }
            func lookup(_ key: CacheKey) -> ActionEntry? { nil }
            func record(_ entry: ActionEntry) throws {
                if entry.manifest.kind == "bad" { throw InternalError("disk full") }
                note("record \(entry.manifest.kind)")
            }
        }
        let r = Recorder()
        let g = GroupCommit(store: r)
        func entry(_ kind: String) -> ActionEntry {
            let m = KeyManifest(kind: kind, kindVersion: 1)
            return ActionEntry(key: m.key, artifact: Digest(of: kind), manifest: m)
        }
        for k in ["a", "b", "bad", "c"] { g.add(entry(k)) }
        let problems = g.drain()
        #expect(problems.count == 1 && problems[0].contains("disk full"))
        #expect(r.events.filter { $0.hasPrefix("record") } == ["record a", "record b", "record c"])
        // Every record comes after a sync that followed its add.
        #expect(r.events.first == "sync")
        #expect(g.drain().isEmpty)
    }

    @Test func treeDigestIsPinned() throws {
        let listing = TreeListing(entries: [
            .init(kind: .file, path: "b.txt", digest: Digest(of: "b"), size: 1, target: nil),
            .init(kind: .directory, path: "a", digest: nil, size: 0, target: nil),
        ])
        #expect(listing.text == "loom-tree 1\nd - 0 \"a\"\nf \(Digest(of: "b").hex) 1 \"b.txt\"\n")
    }

    @Test func linksThatEscapeAreRejected() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        let s = try store.makeStaging(label: "t")
        symlink("/etc/passwd", s + "/pw")
        #expect(throws: TreeListing.Problem.self) { _ = try store.commit(staging: s) }
        #expect(TreeListing.staysInside("x/../y", depth: 0))
        #expect(!TreeListing.staysInside("../y", depth: 0))
        #expect(TreeListing.staysInside("../y", depth: 1))
    }

    @Test func actionCacheRoundTrip() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        let m = KeyManifest(kind: "shell", kindVersion: 1, params: ["n": .int(1)], command: "x")
        let e = ActionEntry(key: m.key, artifact: Digest(of: "art"), manifest: m)
        #expect(store.lookup(m.key) == nil)
        try store.record(e)
        #expect(store.lookup(m.key) == e)
    }

    @Test func statCacheRehashesOnlyChangedFiles() throws {
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("f.txt", "one")
        // Back-date the file past the racy window so it may be remembered.
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, dir.path + "/f.txt", &times, 0)
        let cache = StatCache(path: dir.path + "/statcache")
        let d1 = try cache.digest(ofFile: dir.path + "/f.txt", key: "f.txt")
        try cache.save()
        let reloaded = StatCache(path: dir.path + "/statcache")
        #expect(try reloaded.digest(ofFile: dir.path + "/f.txt", key: "f.txt") == d1)
        #expect(reloaded.hashedCount == 0)
        dir.write("f.txt", "two")   // new inode and mtime
        let d2 = try reloaded.digest(ofFile: dir.path + "/f.txt", key: "f.txt")
        #expect(d2 != d1)
        #expect(d2 == Digest(of: "two"))
        #expect(reloaded.hashedCount == 1)
    }

    @Test func buildStateRoundTrip() throws {
        let dir = TestDir()
        defer { dir.remove() }
        var s = BuildState()
        s.tasks["a"] = .init(key: CacheKey(Digest(of: "k")), artifact: Digest(of: "d"))
        s.tasks["task-2.b"] = .init(key: CacheKey(Digest(of: "k2")), artifact: Digest(of: "d2"))
        try s.save(dir.path + "/s.tsv")
        #expect(BuildState.load(dir.path + "/s.tsv") == s)
        // Lines cut short or with a bad digest are skipped, the rest is kept.
        let k = Digest(of: "k").hex, d = Digest(of: "d").hex
        dir.write("t.tsv", "loom-state 1\na\t\(k)\t\(d)\nb\t\(k)\t\(d.prefix(63))\nc\t\(k.dropLast())x\t\(d)\nd\t\(k)\n")
        #expect(BuildState.load(dir.path + "/t.tsv").tasks.keys.sorted() == ["a"])
        #expect(Digest(hexUTF8: Array(d.utf8)) == Digest(of: "d") && Digest(hexUTF8: Array(d.uppercased().utf8)) == Digest(of: "d"))
    }
}

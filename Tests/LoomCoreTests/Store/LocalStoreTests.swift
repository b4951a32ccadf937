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

    /// The seal a commit remembers is the one it wrote, and never hides damage: a write into the
    /// committed artifact in this same process is still found, and eviction forgets it.
    @Test func aRememberedSealIsTheWrittenOneAndStillChecksTheFiles() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        let s = try store.makeStaging(label: "t")
        try FileSystem.makeDirectories(s + "/sub")
        try FileSystem.writeAtomically(s + "/sub/y.txt", "other")
        try FileSystem.writeAtomically(s + "/x.txt", "same")
        let a = try store.commit(staging: s)
        let remembered = try #require(store.seal(of: a))
        let written = try #require(TreeSeal.decode(try FileSystem.readBytes(store.sealPath(a)), digest: a))
        #expect(remembered == written)
        #expect(store.condition(of: a, repair: false) == .intact)
        try store.sync([a])
        // Damage through the file's own name (as root ignores modes: make it writable first).
        let file = store.location(of: a) + "/x.txt"
        chmod(file, 0o644)
        let fd = open(file, O_WRONLY | O_APPEND)
        _ = "!".withCString { write(fd, $0, 1) }
        close(fd)
        #expect(store.condition(of: a, repair: false) == .damaged)
        #expect(store.condition(of: a, repair: true) == .damaged)
        #expect(store.seal(of: a) == nil && !store.contains(a))
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
        let r = GroupCommitRecorder([])
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
        // The same drain on another thread: `wait()` returns after every entry is recorded, with
        // the same problems, as often as it is asked; with nothing queued it has nothing to say.
        for k in ["d", "bad", "e"] { g.add(entry(k)) }
        let draining = g.drainInBackground()
        let late = draining.wait()
        #expect(late.count == 1 && late[0].contains("disk full"))
        #expect(r.events.filter { $0.hasPrefix("record") }.suffix(2) == ["record d", "record e"])
        #expect(draining.wait() == late)
        #expect(g.drainInBackground().wait().isEmpty)
    }

    /// An artifact synced ahead of its entry (`syncAhead`: while its task's inputs are checked)
    /// is synced with the entries queued before it and not again when its entry comes. It counts
    /// once: recorded, given up, or added again later, it is synced again. A sync ahead that
    /// failed leaves the artifact to its entry's sync.
    @Test func groupCommitSyncsAhead() throws {
        let r = GroupCommitRecorder(["a", "j", "k", "x"])
        let g = GroupCommit(store: r)
        func entry(_ kind: String) -> ActionEntry {
            let m = KeyManifest(kind: kind, kindVersion: 1)
            return ActionEntry(key: m.key, artifact: Digest(of: kind), manifest: m)
        }
        func events() -> [String] { r.lock.lock(); defer { r.lock.unlock() }; let e = r.events; r.events = []; return e }
        g.add(entry("a"))
        g.syncAhead(Digest(of: "j"))
        #expect(g.drain().isEmpty)   // the sync ahead has run, with "a" queued before it
        g.add(entry("j"))
        #expect(g.drain().isEmpty)
        #expect(events() == ["sync a,j", "record a", "record j"])
        // Recorded once, it is synced again when it comes back (evicted and committed again).
        g.add(entry("j"))
        #expect(g.drain().isEmpty)
        #expect(events() == ["sync j", "record j"])
        // Given up (its task failed the input check): synced again with a later entry.
        g.syncAhead(Digest(of: "x"))
        #expect(g.drain().isEmpty)
        g.giveUp(Digest(of: "x"))
        g.add(entry("x"))
        #expect(g.drain().isEmpty)
        #expect(events() == ["sync x", "sync x", "record x"])
        // A sync ahead that failed says nothing yet; the entry's own sync makes it durable.
        r.lock.lock(); r.failNext = true; r.lock.unlock()
        g.syncAhead(Digest(of: "k"))
        #expect(g.drain().isEmpty)
        g.add(entry("k"))
        #expect(g.drain().isEmpty)
        #expect(events() == ["sync failed", "sync k", "record k"])
        // Its entry queued before the sync ahead ran: synced once, as one of the batch.
        g.add(entry("k"))
        g.syncAhead(Digest(of: "k"))
        #expect(g.drain().isEmpty)
        g.add(entry("k"))
        #expect(g.drain().isEmpty)
        #expect(events() == ["sync k", "record k", "sync k", "record k"])
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
        #expect(TreeListing.resolvesInside(root: s, link: "l", target: "x/../y"))
        #expect(!TreeListing.resolvesInside(root: s, link: "l", target: "../y"))
        #expect(TreeListing.resolvesInside(root: s, link: "d/l", target: "../y"))
    }

    /// Issue 10, hole 3: a link that leaves through another link to `.` (its text stays inside).
    @Test(arguments: ["a/a/a/a/../../../../etc/passwd", "a/a/../../x", "b/../../x", "loop/x"])
    func linksThatEscapeThroughOtherLinksAreRejected(target: String) throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        let s = try store.makeStaging(label: "t")
        symlink(".", s + "/a")
        try FileSystem.makeDirectories(s + "/d")
        symlink("../d/..", s + "/b")   // b -> the output itself
        symlink("loop", s + "/loop")   // a link to itself: refused, not followed forever
        symlink(target, s + "/l")
        #expect(throws: TreeListing.Problem.self) { _ = try store.commit(staging: s) }
        // Links that stay inside, however they get there, are kept.
        let ok = try store.makeStaging(label: "t")
        symlink(".", ok + "/a")
        try FileSystem.writeAtomically(ok + "/f", "x")
        symlink("a/a/./f", ok + "/l")
        #expect(throws: Never.self) { _ = try store.commit(staging: ok) }
    }

    /// Durability costs what Loom wrote: `sync` flushes the given artifacts' files and
    /// directories (and fails loudly for an artifact it cannot account for).
    @Test func syncFlushesTheGivenArtifacts() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        let s = try store.makeStaging(label: "t")
        try FileSystem.makeDirectories(s + "/sub")
        try FileSystem.writeAtomically(s + "/sub/a.txt", "a")
        symlink("sub/a.txt", s + "/l")
        let d = try store.commit(staging: s)
        try store.sync([d])
        try store.sync([])
        #expect(throws: FileSystem.Failure.self) { try store.sync([Digest(of: "no such artifact")]) }
    }

    /// Issue 10, hole 3: a hard link to a file outside the output is copied, not adopted:
    /// editing the outside file later leaves the artifact as committed.
    @Test func hardLinksToOutsideFilesAreCopied() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        dir.write("outside.txt", "original")
        let s = try store.makeStaging(label: "t")
        #expect(link(dir.path + "/outside.txt", s + "/f.txt") == 0)
        let d = try store.commit(staging: s)
        let fd = open(dir.path + "/outside.txt", O_WRONLY | O_TRUNC)
        _ = "changed!".withCString { write(fd, $0, 8) }
        close(fd)
        #expect(try FileSystem.readText(store.location(of: d) + "/f.txt") == "original")
        #expect(store.intact(d))
    }

    /// Issue 10, hole 1: a blob whose bytes were changed is never adopted again under its name,
    /// a damaged artifact is not reported intact, and evicting it removes the damaged blob.
    @Test func damagedBlobsAreNeverReused() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        func stage(_ text: String) throws -> String {
            let s = try store.makeStaging(label: "t")
            try FileSystem.writeAtomically(s + "/values.txt", text)
            return s
        }
        let a = try store.commit(staging: try stage("1\n4\n9\n"))
        let blob = store.root + "/blobs/\(Digest(of: "1\n4\n9\n").hex.prefix(2))/\(Digest(of: "1\n4\n9\n").hex)"
        // Flip one byte in place (as `dd conv=notrunc` does): same inode, same size.
        let fd = open(blob, O_WRONLY)
        _ = "7".withCString { pwrite(fd, $0, 1, 0) }
        close(fd)
        #expect(!store.intact(a, repair: false))
        #expect(store.damagedFiles(a) == ["values.txt"])
        // Committing the same output again replaces the damaged blob and artifact.
        let again = try store.commit(staging: try stage("1\n4\n9\n"))
        #expect(again == a)
        #expect(try FileSystem.readText(store.location(of: a) + "/values.txt") == "1\n4\n9\n")
        #expect(try FileSystem.readText(blob) == "1\n4\n9\n")
        #expect(store.intact(a))
        // Damage again; evicting removes the artifact and the damaged blob.
        let fd2 = open(blob, O_WRONLY)
        _ = "7".withCString { pwrite(fd2, $0, 1, 0) }
        close(fd2)
        #expect(!store.intact(a))   // repairs: evicts
        #expect(!store.contains(a))
        #expect(!FileSystem.exists(blob))
        // A touch (mtime only) is not damage: re-hashed, found intact, sealed again.
        let b = try store.commit(staging: try stage("other"))
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, store.location(of: b) + "/values.txt", &times, 0)
        #expect(store.seal(of: b)?.firstDifference(in: store.location(of: b)) == "values.txt")
        #expect(store.intact(b))
        #expect(store.seal(of: b)?.firstDifference(in: store.location(of: b)) == nil)
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

    /// `StatCache.unchanged` (what a run's prelude learns while the DAG loads) gives exactly the
    /// remembered files whose stat still matches: not one edited, gone or replaced by a directory.
    /// (The scan uses an entry only for a declared file of the graph, a path inside the project.)
    @Test func statCacheUnchangedNamesOnlyFilesAsRemembered() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let names = ["a.txt", "b.txt", "c.txt", "d.txt", "sub/e.txt"]
        for n in names { dir.write(n, n) }
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        for n in names { utimensat(AT_FDCWD, dir.path + "/" + n, &times, 0) }
        let cache = StatCache(path: dir.path + "/statcache")
        for n in names { _ = try cache.digest(ofFile: dir.path + "/" + n, key: n) }
        try cache.save()
        let all = StatCache(path: dir.path + "/statcache").unchanged(root: dir.path)
        #expect(all == Dictionary(uniqueKeysWithValues: names.map { ($0, Digest(of: $0)) }))
        dir.write("a.txt", "a.txX")   // same size, new mtime
        FileSystem.removeTree(dir.path + "/b.txt")
        FileSystem.removeTree(dir.path + "/c.txt")
        dir.write("c.txt/inner", "x")
        let after = StatCache(path: dir.path + "/statcache").unchanged(root: dir.path)
        #expect(after.keys.sorted() == ["d.txt", "sub/e.txt"])
        #expect(StatCache(path: dir.path + "/missing").unchanged(root: dir.path).isEmpty)
    }

    /// Notices come out in byte order, not in the order threads added them (a run's prelude
    /// reads caches while the DAG loads). Other tests take notices too: only this test's are
    /// looked at.
    @Test func noticesComeOutInByteOrder() {
        let mine = (0..<20).map { _ in "notice-order-test \(UInt32.random(in: 0...UInt32.max))" }
        DispatchQueue.concurrentPerform(iterations: mine.count) { Notices.add(mine[$0]) }
        let taken = Notices.take().filter { $0.hasPrefix("notice-order-test ") }
        #expect(taken == taken.sorted(by: JSON.byteOrder))
    }

    @Test func buildStateRoundTrip() throws {
        let dir = TestDir()
        defer { dir.remove() }
        var s = BuildState()
        s.tasks["a"] = .init(key: CacheKey(Digest(of: "k")), artifact: Digest(of: "d"))
        s.tasks["task-2.b"] = .init(key: CacheKey(Digest(of: "k2")), artifact: Digest(of: "d2"))
        try s.save(dir.path + "/s.tsv")
        #expect(BuildState.load(dir.path + "/s.tsv") == s)
        // Lines cut short or with a bad digest are skipped, the rest is kept (when the checksum
        // holds: these lines were written like that).
        let k = Digest(of: "k").hex, d = Digest(of: "d").hex
        let body = "loom-state 2\na\t\(k)\t\(d)\nb\t\(k)\t\(d.prefix(63))\nc\t\(k.dropLast())x\t\(d)\nd\t\(k)\n"
        dir.write("t.tsv", body + "sum\t\(Digest(of: body).hex)\n")
        #expect(BuildState.load(dir.path + "/t.tsv").tasks.keys.sorted() == ["a"])
        // Issue 10, hole 6: one changed byte anywhere and the state is not trusted at all.
        let good = s.encoded()
        for i in stride(from: 0, to: good.count, by: 7) {
            var b = good
            b[i] = b[i] == 0x30 ? 0x31 : 0x30
            #expect(BuildState.parse(b).tasks.isEmpty, "byte \(i) changed")
        }
        // The exact bytes: names in UTF-8 byte order (upper case before lower, é last).
        var o = BuildState()
        for n in ["é", "b", "Z", "a"] { o.tasks[n] = .init(key: CacheKey(Digest(of: "k")), artifact: Digest(of: "d")) }
        let lines = "loom-state 2\n" + ["Z", "a", "b", "é"].map { "\($0)\t\(k)\t\(d)\n" }.joined()
        #expect(o.encoded() == Array((lines + "sum\t\(Digest(of: lines).hex)\n").utf8))
        _ = Notices.take()
        #expect(Digest(hexUTF8: Array(d.utf8)) == Digest(of: "d") && Digest(hexUTF8: Array(d.uppercased().utf8)) == Digest(of: "d"))
    }
}

/// A store that records the group commit's calls: "sync" (with the artifacts' names when it
/// knows them) and "record <kind>"; an entry of kind "bad" cannot be recorded, and `failNext`
/// fails the next sync.
final class GroupCommitRecorder: ArtifactStore, ActionCache, @unchecked Sendable {   // `events`, `failNext` under `lock`
    let lock = NSLock()
    var events: [String] = []
    var failNext = false
    let names: [Digest: String]
    init(_ names: [String]) { self.names = Dictionary(uniqueKeysWithValues: names.map { (Digest(of: $0), $0) }) }
    func note(_ e: String) { lock.lock(); events.append(e); lock.unlock() }
    func makeStaging(label: String) throws -> String { "" }
    func commit(staging: String) throws -> Digest { Digest(of: staging) }
    func discard(staging: String) {}
    func contains(_ digest: Digest) -> Bool { true }
    func condition(of digest: Digest, repair: Bool) -> ArtifactCondition { .intact }
    func damagedFiles(_ digest: Digest) -> [String] { [] }
    func seal(of digest: Digest) -> TreeSeal? { nil }
    func updateLatest(dag: String, task: String, digest: Digest) {}
    func latestMembership(dag: String) -> StoreMembership? { nil }
    func membership(of directory: String) -> StoreMembership? { nil }
    func location(of digest: Digest) -> String { "" }
    func sync(_ artifacts: [Digest]) throws {
        lock.lock()
        defer { lock.unlock() }
        if failNext {
            failNext = false
            events.append("sync failed")
            throw InternalError("disk gone")
        }
        events.append(names.isEmpty ? "sync" : "sync " + artifacts.map { names[$0] ?? "?" }.sorted().joined(separator: ","))
    }
    func lookup(_ key: CacheKey) -> ActionEntry? { nil }
    func record(_ entry: ActionEntry) throws {
        if entry.manifest.kind == "bad" { throw InternalError("disk full") }
        note("record \(entry.manifest.kind)")
    }
}

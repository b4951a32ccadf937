import Foundation
import Testing
@testable import LoomCore

@Suite struct InputLinksTests {
    /// A rerun replaces only the links whose artifact changed, and drops links of needs gone.
    @Test func onlyChangedLinksAreReplaced() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let inDir = dir.path + "/inputs/t/join"
        try InputLinks.update(inDir, [("a", "/store/trees/1"), ("b", "/store/trees/2"), ("c", "/store/trees/3")])
        func inode(_ n: String) -> UInt64 { var st = stat(); lstat(inDir + "/" + n, &st); return UInt64(st.st_ino) }
        let before = (inode("a"), inode("b"))
        try InputLinks.update(inDir, [("a", "/store/trees/1"), ("b", "/store/trees/9")])
        #expect(inode("a") == before.0, "unchanged: the same link")
        #expect(TreeListing.readLink(inDir + "/b") == "/store/trees/9")
        #expect(try FileSystem.listDirectory(inDir) == ["a", "b"])
        // A target that is a prefix or an extension of the wanted one is wrong; a regular file in
        // place of a link is replaced; a leftover ".new" of a crash is dropped.
        try InputLinks.update(inDir, [("a", "/store/trees/10"), ("b", "/store/trees/")])
        #expect(TreeListing.readLink(inDir + "/a") == "/store/trees/10" && TreeListing.readLink(inDir + "/b") == "/store/trees/")
        unlink(inDir + "/a")
        try FileSystem.writeAtomically(inDir + "/a", "not a link")
        symlink("/elsewhere", inDir + "/.b.new")
        try InputLinks.update(inDir, [("a", "/store/trees/1"), ("b", "/store/trees/")])
        #expect(TreeListing.readLink(inDir + "/a") == "/store/trees/1")
        #expect(try FileSystem.listDirectory(inDir) == ["a", "b"])
    }

    /// Artifacts committed to a fresh store: small ones (a file; a nested directory with a link)
    /// and one larger than `InputLinks.viewLimit`.
    struct Fixture {
        let dir = TestDir()
        let store: LocalStore
        var artifacts: [Digest] = []
        let large: Digest
        init() throws {
            store = try LocalStore(root: dir.path + "/artifacts")
            for text in ["one", "two", "three"] {
                let s = try store.makeStaging(label: "t")
                try FileSystem.writeAtomically(s + "/o", text + "\n")
                artifacts.append(try store.commit(staging: s))
            }
            let s = try store.makeStaging(label: "t")
            try FileSystem.makeDirectories(s + "/d/e")
            try FileSystem.writeAtomically(s + "/d/e/f.txt", "deep\n")
            try FileSystem.writeAtomically(s + "/top.txt", "top\n")
            symlink("e/f.txt", s + "/d/l")
            artifacts.append(try store.commit(staging: s))
            let b = try store.makeStaging(label: "t")
            for i in 0..<(InputLinks.viewLimit + 5) { try FileSystem.writeAtomically(b + "/f\(i)", "\(i)\n") }
            large = try store.commit(staging: b)
        }
        var inDir: String { store.root + "/inputs/d/join" }
        var side: String { store.root + "/inputs/d/.join.links" }
        func inode(_ path: String) -> UInt64 { var st = stat(); lstat(path, &st); return UInt64(st.st_ino) }

        /// Whether `inDir` holds exactly these needs: with `views`, each small artifact as a view
        /// (its directories made again, read-only; every other entry the stored inode), a large
        /// one as a link to its directory in the store; without, every one as a link.
        func holds(_ needs: [(String, Digest)], views: Bool = true) -> Bool {
            guard let names = try? FileSystem.listDirectory(inDir), names == needs.map(\.0).sorted() else { return false }
            for (name, d) in needs {
                let view = inDir + "/" + name, source = store.location(of: d)
                guard let seal = store.seal(of: d) else { return false }
                if !views || seal.entries.count > InputLinks.viewLimit {
                    guard TreeListing.readLink(view) == source else { return false }
                    continue
                }
                for e in seal.entries {
                    let v = e.path.isEmpty ? view : view + "/" + e.path, s = e.path.isEmpty ? source : source + "/" + e.path
                    var st = stat(), sst = stat()
                    guard lstat(v, &st) == 0, lstat(s, &sst) == 0 else { return false }
                    if (sst.st_mode & S_IFMT) == S_IFDIR {
                        guard (st.st_mode & S_IFMT) == S_IFDIR, st.st_mode & 0o777 == 0o555,
                              (try? FileSystem.listDirectory(v)) == (try? FileSystem.listDirectory(s)) else { return false }
                    } else {
                        guard st.st_ino == sst.st_ino else { return false }
                    }
                }
            }
            return true
        }
    }

    /// Small artifacts are views holding the stored inodes, large ones links; a task reads both
    /// through `$LOOM_IN` as the artifact. Remembered, a rerun makes again only the entry whose
    /// artifact changed, drops the needs gone (their entries deleted later, from tmp/), and never
    /// looks into the views; the sidecar is cut to its new length.
    @Test func viewsHoldTheStoredFilesAndOnlyChangedOnesAreMadeAgain() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let a = f.artifacts, trash = f.store.root + "/tmp"
        var needs = [InputLinks.Need(name: "a", digest: a[0]), InputLinks.Need(name: "b", digest: a[3]),
                     InputLinks.Need(name: "big", digest: f.large), InputLinks.Need(name: "c", digest: a[1])]
        try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1, trash: trash)
        #expect(f.holds(needs.map { ($0.name, $0.digest) }))
        #expect(try FileSystem.readText(f.inDir + "/b/d/l") == "deep\n")
        #expect(try FileSystem.readText(f.inDir + "/big/f3") == "3\n")
        #expect(FileSystem.exists(f.side))
        let b = f.inode(f.inDir + "/b"), longer = try FileSystem.readBytes(f.side).count
        needs[0].digest = a[2]
        needs.remove(at: 3)
        let views = try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1, trash: trash)
        #expect(f.holds(needs.map { ($0.name, $0.digest) }))
        #expect(f.inode(f.inDir + "/b") == b, "unchanged: the same view")
        #expect(views.changed() == nil)
        #expect(try FileSystem.readBytes(f.side).count < longer)
        Removals.wait()
        #expect(try FileSystem.listDirectory(trash).isEmpty)
        // A large artifact in place of a small one, and the other way.
        needs[0].digest = f.large
        needs[2].digest = a[0]
        try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1, trash: trash)
        #expect(f.holds(needs.map { ($0.name, $0.digest) }))
        // A need named like another's entry in the making ("a.new" beside "a"): both kept.
        needs.append(InputLinks.Need(name: "a.new", digest: a[1]))
        try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1, trash: trash)
        needs[0].digest = a[0]
        try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1, trash: trash)
        #expect(f.holds(needs.map { ($0.name, $0.digest) }))
        try InputLinks.update(f.inDir, needs: needs, store: f.store, trash: trash)
        needs[0].digest = a[2]
        try InputLinks.update(f.inDir, needs: needs, store: f.store, trash: trash)
        #expect(f.holds(needs.map { ($0.name, $0.digest) }, views: false))
        needs.removeLast()
        // Few needs: nothing remembered, and links, not views.
        try InputLinks.update(f.inDir, needs: needs, store: f.store, trash: trash)
        #expect(f.holds(needs.map { ($0.name, $0.digest) }, views: false))
        try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1, trash: trash)
        #expect(f.holds(needs.map { ($0.name, $0.digest) }))
    }

    /// A view changed after it was made (by a task without isolation, or by hand): an entry added,
    /// removed or replaced in it. Remembered, the check after the task finds it and drops the
    /// sidecar, so the next update looks into every view and makes the changed one again; with
    /// no sidecar, the update finds it at once.
    @Test func changedViewsAreFoundAndMadeAgain() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let a = f.artifacts
        let needs = [InputLinks.Need(name: "a", digest: a[0]), InputLinks.Need(name: "b", digest: a[3])]
        let want = needs.map { ($0.name, $0.digest) }
        let changes: [(String, () -> Void)] = [
            ("an entry added", { try? FileSystem.writeAtomically(f.inDir + "/a/extra", "x") }),
            ("an entry removed", { unlink(f.inDir + "/a/o") }),
            ("an entry replaced", { unlink(f.inDir + "/a/o"); try? FileSystem.writeAtomically(f.inDir + "/a/o", "one\n") }),
            ("a deep entry replaced", { unlink(f.inDir + "/b/d/e/f.txt"); try? FileSystem.writeAtomically(f.inDir + "/b/d/e/f.txt", "deep\n") }),
            ("a link replaced", { unlink(f.inDir + "/b/d/l"); symlink("/etc/passwd", f.inDir + "/b/d/l") }),
        ]
        for (what, change) in changes {
            try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1)
            let views = try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1)
            #expect(f.holds(want) && views.changed() == nil, "\(what)")
            change()
            #expect(!f.holds(want), "\(what)")
            #expect(views.changed() != nil, "\(what): found after the task")
            #expect(!FileSystem.exists(f.side), "\(what)")
            try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1)
            #expect(f.holds(want), "\(what): made again")
            change()
            unlink(f.side)
            try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1)
            #expect(f.holds(want), "\(what): no sidecar, found by the update")
        }
    }

    /// An artifact damaged (through a view: the same inode), evicted with its damaged blob and
    /// committed again has the same digest and new inodes: the remembered view of the damaged
    /// file is made again from the new one.
    @Test func aViewOfDamagedFilesIsMadeAgain() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = f.artifacts[0]
        let needs = [InputLinks.Need(name: "a", digest: d)]
        try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1)
        let old = f.inode(f.inDir + "/a/o")
        chmod(f.inDir + "/a/o", 0o644)
        let fd = open(f.inDir + "/a/o", O_WRONLY | O_TRUNC)
        #expect(fd >= 0 && write(fd, "XXX\n", 4) == 4)
        close(fd)
        #expect(f.store.condition(of: d, repair: true) == .damaged)
        let s = try f.store.makeStaging(label: "t")
        try FileSystem.writeAtomically(s + "/o", "one\n")
        #expect(try f.store.commit(staging: s) == d)
        #expect(f.inode(f.store.location(of: d) + "/o") != old)
        try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1)
        #expect(f.holds([("a", d)]) && f.inode(f.inDir + "/a/o") != old)
        #expect(try FileSystem.readText(f.inDir + "/a/o") == "one\n")
    }

    /// The sidecar names artifacts by digest; links to large ones point at the store's locations,
    /// which move with the project: a store opened at another path does not trust links made for
    /// the old one.
    @Test func rememberedLinksFollowTheStoresLocation() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let needs = [InputLinks.Need(name: "a", digest: f.artifacts[0]), InputLinks.Need(name: "big", digest: f.large)]
        try InputLinks.update(f.inDir, needs: needs, store: f.store, rememberedFrom: 1)
        #expect(rename(f.dir.path + "/artifacts", f.dir.path + "/moved") == 0)
        let moved = try LocalStore(root: f.dir.path + "/moved")
        let inDir = moved.root + "/inputs/d/join"
        try InputLinks.update(inDir, needs: needs, store: moved, rememberedFrom: 1)
        #expect(TreeListing.readLink(inDir + "/big") == moved.location(of: f.large))
        #expect(try FileSystem.readText(inDir + "/a/o") == "one\n")
    }

    /// The remembered entries against the directory itself over 300 seeded random steps: wanted
    /// needs change, and between updates entries are replaced, added and removed by hand, views
    /// are changed inside, leftovers of a crash appear, the sidecar is damaged or an older one put
    /// back. After every update the directory holds exactly the wanted needs, or the check after
    /// the task finds the view that does not (and the next update makes it right).
    @Test func rememberedEntriesAgreeWithTheDirectoryOverRandomSteps() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        var r = DifferentialTests.Rand(state: 0x11AB)
        let names = ["a", "b", "c", "d", "e", "f"], digests = f.artifacts + [f.large]
        var older: [UInt8]? = nil
        var mustHold = false, foundCount = 0
        for step in 0..<300 {
            switch r.int(9) {
            case 0:
                let n = names[r.int(names.count)]
                FileSystem.removeTree(f.inDir + "/" + n)
                symlink(r.int(2) == 0 ? "/x" : f.store.location(of: digests[r.int(digests.count)]), f.inDir + "/" + n)
            case 1: symlink("/x", f.inDir + "/" + names[r.int(names.count)] + (r.int(2) == 0 ? ".new" : ""))
            case 2: FileSystem.removeTree(f.inDir + "/" + names[r.int(names.count)])
            case 3:
                if var b = try? FileSystem.readBytes(f.side), !b.isEmpty {
                    b[r.int(b.count)] ^= 0x10
                    try FileSystem.writeAtomically(f.side, b)
                }
            case 4: if let older { try FileSystem.writeAtomically(f.side, older) }
            case 5:
                // Inside a view: a file added or one replaced.
                let n = f.inDir + "/" + names[r.int(names.count)]
                var st = stat()
                if lstat(n, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {   // a view, not a link into the store
                    if r.int(2) == 0 { try? FileSystem.writeAtomically(n + "/extra", "x") } else if unlink(n + "/o") == 0 { try? FileSystem.writeAtomically(n + "/o", "?") }
                }
            default: break
            }
            if r.int(4) == 0 { older = try? FileSystem.readBytes(f.side) }
            var wanted: [InputLinks.Need] = []
            for n in names where r.int(3) > 0 { wanted.append(InputLinks.Need(name: n, digest: digests[r.int(digests.count)])) }
            if r.int(5) == 0, wanted.count > 1 { wanted.swapAt(r.int(wanted.count), r.int(wanted.count)) }   // another order
            let trash: String? = r.int(2) == 0 ? f.store.root + "/tmp" : nil
            let views = try InputLinks.update(f.inDir, needs: wanted, store: f.store, rememberedFrom: 1, trash: trash)
            let want = wanted.map { ($0.name, $0.digest) }
            if mustHold { #expect(f.holds(want), "step \(step): made right after the check found a change") }
            let found = views.changed() != nil
            if found { foundCount += 1 }
            #expect(f.holds(want) || found, "step \(step)")
            mustHold = found && r.int(2) == 0
            if mustHold {
                // The next update, with no change in between, must make it right.
                older = nil
            }
        }
        #expect(foundCount > 2, "the check after the task was exercised (4 times with this seed)")
        Removals.wait()
        #expect(try FileSystem.listDirectory(f.store.root + "/tmp").isEmpty)
    }
}

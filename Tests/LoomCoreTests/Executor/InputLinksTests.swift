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
        symlink("/elsewhere", inDir + "/b.new")
        try InputLinks.update(inDir, [("a", "/store/trees/1"), ("b", "/store/trees/")])
        #expect(TreeListing.readLink(inDir + "/a") == "/store/trees/1")
        #expect(try FileSystem.listDirectory(inDir) == ["a", "b"])
    }

    /// With a store to stamp it, `$LOOM_IN` is remembered beside it and read back only while its
    /// stamp holds: the right links either way, whatever was done to the directory by hand.
    @Test func rememberedLinksAreTrustedOnlyWhileTheDirectoryIsUntouched() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        let inDir = store.root + "/inputs/d/join", side = store.root + "/inputs/d/.join.links"
        func inode(_ n: String) -> UInt64 { var st = stat(); lstat(inDir + "/" + n, &st); return UInt64(st.st_ino) }
        func links() -> [String: String] {
            var m: [String: String] = [:]
            for n in (try? FileSystem.listDirectory(inDir)) ?? [] { m[n] = TreeListing.readLink(inDir + "/" + n) ?? "(not a link)" }
            return m
        }
        let d1 = Digest(of: "1"), d2 = Digest(of: "2"), d3 = Digest(of: "3"), d9 = Digest(of: "9")
        let want = ["a": store.location(of: d1), "c": store.location(of: d9)]
        // A task with few needs reads its links (a sidecar would cost it more).
        try InputLinks.update(inDir, needs: [("a", d1), ("b", d2), ("c", d3)], store: store)
        #expect(!FileSystem.exists(side))
        try InputLinks.update(inDir, needs: [("a", d1), ("b", d2), ("c", d3)], store: store, rememberedFrom: 1)
        #expect(FileSystem.exists(side))
        #expect(links() == ["a": store.location(of: d1), "b": store.location(of: d2), "c": store.location(of: d3)])
        // A changed need and a need gone, from the remembered links; the sidecar, written over
        // in place, is cut to its new length.
        let a = inode("a"), longer = try FileSystem.readBytes(side).count
        try InputLinks.update(inDir, needs: [("a", d1), ("c", d9)], store: store, rememberedFrom: 1)
        #expect(links() == want && inode("a") == a)
        let shorter = try FileSystem.readBytes(side)
        #expect(shorter.count < longer)
        unlink(side)
        try InputLinks.update(inDir, needs: [("a", d1), ("c", d9)], store: store, rememberedFrom: 1)
        #expect(try FileSystem.readBytes(side).count == shorter.count)
        // The same needs in the same order, one changed: only that link is replaced.
        try InputLinks.update(inDir, needs: [("a", d2), ("c", d9)], store: store, rememberedFrom: 1)
        #expect(links() == ["a": store.location(of: d2), "c": store.location(of: d9)] && inode("a") != a)
        try InputLinks.update(inDir, needs: [("a", d1), ("c", d9)], store: store, rememberedFrom: 1)
        // Replaced, added or removed by hand: the stamp no longer holds and the links are read.
        unlink(inDir + "/a")
        symlink("/etc", inDir + "/a")
        try InputLinks.update(inDir, needs: [("a", d1), ("c", d9)], store: store, rememberedFrom: 1)
        #expect(links() == want)
        symlink("/etc", inDir + "/extra")
        try FileSystem.writeAtomically(inDir + "/c.new", "left by a crash")
        try InputLinks.update(inDir, needs: [("a", d1), ("c", d9)], store: store, rememberedFrom: 1)
        #expect(links() == want)
        unlink(inDir + "/c")
        try InputLinks.update(inDir, needs: [("a", d1), ("c", d9)], store: store, rememberedFrom: 1)
        #expect(links() == want)
        // A damaged sidecar reads as absent; one of an earlier state of the directory (its stamp
        // is older) is not trusted.
        let good = try FileSystem.readBytes(side)
        var bad = good
        bad[bad.count / 2] ^= 1
        try FileSystem.writeAtomically(side, bad)
        unlink(inDir + "/a")
        symlink("/etc", inDir + "/a")
        try InputLinks.update(inDir, needs: [("a", d1), ("c", d9)], store: store, rememberedFrom: 1)
        #expect(links() == want)
        try FileSystem.writeAtomically(side, good)
        unlink(inDir + "/c")
        symlink("/etc", inDir + "/c")
        try InputLinks.update(inDir, needs: [("a", d1), ("c", d9)], store: store, rememberedFrom: 1)
        #expect(links() == want)
    }

    /// The sidecar names artifacts by digest; its links point at the store's locations, which move
    /// with the project: a store opened at another path does not trust links made for the old one.
    @Test func rememberedLinksFollowTheStoresLocation() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/p1/artifacts")
        let d1 = Digest(of: "1"), d2 = Digest(of: "2")
        try InputLinks.update(store.root + "/inputs/d/t", needs: [("a", d1), ("b", d2)], store: store, rememberedFrom: 1)
        #expect(rename(dir.path + "/p1", dir.path + "/p2") == 0)
        let moved = try LocalStore(root: dir.path + "/p2/artifacts")
        let inDir = moved.root + "/inputs/d/t"
        // The directory's own stamp is unchanged by the move of a directory above it.
        try InputLinks.update(inDir, needs: [("a", d1), ("b", d2)], store: moved, rememberedFrom: 1)
        #expect(TreeListing.readLink(inDir + "/a") == moved.location(of: d1) && TreeListing.readLink(inDir + "/b") == moved.location(of: d2))
    }

    /// The remembered links against the directory itself over 300 seeded random steps: wanted
    /// links change, and between updates links are replaced, added and removed by hand, leftovers
    /// of a crash appear, the sidecar is damaged or an older one put back. After every update the
    /// directory holds exactly the wanted links.
    @Test func rememberedLinksAgreeWithTheDirectoryOverRandomSteps() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        let inDir = store.root + "/inputs/d/t", side = store.root + "/inputs/d/.t.links"
        var r = DifferentialTests.Rand(state: 0x11AB)
        let names = ["a", "b", "c", "d", "e", "f"], digests = ["1", "2", "22", "3"].map { Digest(of: $0) }
        let targets = digests.map { store.location(of: $0) } + ["/elsewhere"]
        var older: [UInt8]? = nil
        for step in 0..<300 {
            switch r.int(8) {
            case 0:
                let n = names[r.int(names.count)]
                unlink(inDir + "/" + n)
                symlink(targets[r.int(targets.count)], inDir + "/" + n)
            case 1: symlink("/x", inDir + "/" + names[r.int(names.count)] + (r.int(2) == 0 ? ".new" : ""))
            case 2: unlink(inDir + "/" + names[r.int(names.count)])
            case 3:
                if var b = try? FileSystem.readBytes(side), !b.isEmpty {
                    b[r.int(b.count)] ^= 0x10
                    try FileSystem.writeAtomically(side, b)
                }
            case 4: if let older { try FileSystem.writeAtomically(side, older) }
            default: break
            }
            if r.int(4) == 0 { older = try? FileSystem.readBytes(side) }
            var wanted: [(name: String, digest: Digest)] = []
            for n in names where r.int(3) > 0 { wanted.append((n, digests[r.int(digests.count)])) }
            if r.int(5) == 0, wanted.count > 1 { wanted.swapAt(r.int(wanted.count), r.int(wanted.count)) }   // another order
            // Replaced links go to the store's tmp/ half the time (`FileSystem.replace`).
            try InputLinks.update(inDir, needs: wanted, store: store, rememberedFrom: 1, trash: r.int(2) == 0 ? store.root + "/tmp" : nil)
            var have: [String: String] = [:]
            for n in try FileSystem.listDirectory(inDir) { have[n] = TreeListing.readLink(inDir + "/" + n) ?? "(not a link)" }
            #expect(have == Dictionary(uniqueKeysWithValues: wanted.map { ($0.name, store.location(of: $0.digest)) }), "step \(step)")
        }
        Removals.wait()
        #expect(try FileSystem.listDirectory(store.root + "/tmp").isEmpty)
    }
}

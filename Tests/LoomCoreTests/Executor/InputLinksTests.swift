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
}

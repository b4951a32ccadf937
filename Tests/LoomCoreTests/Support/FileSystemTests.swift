import Foundation
import Testing
@testable import LoomCore

@Suite struct FileSystemTests {
    @Test(arguments: [
        ("a/b", "/x", "/x/a/b"), ("../a", "/x/y", "/x/a"), ("/a/./b//c/..", "/z", "/a/b"), ("..", "/", "/"),
        ("", "/x", "/x"), (".", "/x/y/", "/x/y"), ("é/ü", "/x", "/x/é/ü"), ("a/../../..", "/x", "/"),
    ])
    func absolutePaths(_ path: String, _ base: String, _ expected: String) {
        #expect(FileSystem.absolute(path, base: base) == expected)
    }

    /// A file replaced with a trash directory is swapped out and deleted later: the new bytes are
    /// in place at once, the directory keeps nothing of the old file, and after `Removals.wait`
    /// the trash is empty. Without a file to replace, or without trash, a plain rename.
    @Test func replacedFilesAreDeletedLater() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let d = dir.path + "/state", trash = dir.path + "/tmp"
        try FileSystem.makeDirectories(d)
        try FileSystem.makeDirectories(trash)
        let path = d + "/x.memo"
        try FileSystem.writeAtomically(path, "one", trash: trash)   // nothing to replace
        #expect(try FileSystem.readText(path) == "one")
        for text in ["two", "three"] {
            try FileSystem.writeAtomically(path, text, trash: trash)
            #expect(try FileSystem.readText(path) == text)
            #expect(try FileSystem.listDirectory(d) == ["x.memo"])
        }
        Removals.wait()
        #expect(try FileSystem.listDirectory(trash).isEmpty)
        // Links too (`latest/`, `$LOOM_IN`), replaced through directory descriptors.
        symlink("/a", d + "/l")
        symlink("/b", d + "/l.new")
        let fd = open(d, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        #expect(FileSystem.replace(fd, "l.new", fd, "l", trash: trash))
        #expect(TreeListing.readLink(d + "/l") == "/b")
        #expect(!FileSystem.exists(d + "/l.new"))
        Removals.wait()
        #expect(try FileSystem.listDirectory(trash).isEmpty)
        // Without trash: a rename, the old file deleted at once; a missing source fails.
        try FileSystem.writeAtomically(path, "four")
        #expect(try FileSystem.readText(path) == "four" && (try FileSystem.listDirectory(d)).sorted() == ["l", "x.memo"])
        #expect(!FileSystem.replace(AT_FDCWD, d + "/missing", AT_FDCWD, path, trash: trash))
        #expect(try FileSystem.readText(path) == "four")
    }
}

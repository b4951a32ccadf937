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
}

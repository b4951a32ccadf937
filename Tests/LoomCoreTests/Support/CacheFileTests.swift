import Testing
@testable import LoomCore

@Suite struct CacheFileTests {
    /// Issue 10, hole 6: a cache is read back only by the build that wrote it, only whole.
    @Test func onlyThisBuildsUndamagedCachesAreRead() {
        let payload: [UInt8] = Array("some cached bytes".utf8)
        let file = CacheFile.wrap(payload, format: "f 1")
        #expect(CacheFile.open(file, format: "f 1") == payload)
        #expect(CacheFile.open(file, format: "f 2") == nil, "the format is part of the checksum")
        for i in file.indices {
            var b = file
            b[i] ^= 0x80
            #expect(CacheFile.open(b, format: "f 1") == nil, "byte \(i)")
        }
        #expect(CacheFile.open(Array(file.dropLast()), format: "f 1") == nil)
        #expect(CacheFile.open([], format: "f 1") == nil)
        // Another build's cache (another identity in front, its own valid checksum): not read.
        var other = file
        other[0] ^= 0xFF
        #expect(CacheFile.open(other, format: "f 1") == nil)
    }

    @Test func theBuildIdentityIsStable() {
        #expect(BuildIdentity.digest == BuildIdentity.digest)
    }
}

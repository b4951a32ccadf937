#if canImport(Glibc)
import Glibc
#endif

/// Streams a file through SHA-256 in 1 MiB reads (BoringSSL uses the CPU's SHA extensions).
public enum FileHasher {
    public static let chunkSize = 1 << 20

    public static func digest(ofFile path: String) throws -> Digest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystem.fail("cannot open", path) }
        defer { close(fd) }
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        var hasher = SHA256Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, chunkSize)
            if n < 0 { if errno == EINTR { continue }; throw FileSystem.fail("cannot read", path) }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalize()
    }
}

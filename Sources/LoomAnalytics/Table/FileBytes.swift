#if canImport(Glibc)
import Glibc
private let sysRead = Glibc.read   // named apart from `FileBytes.read`
#elseif canImport(Darwin)
import Darwin
private let sysRead = Darwin.read
#endif

/// A file's bytes read straight into one array (`read`), or mapped into memory (`withMapping`).
/// `FileManager.contents` gives `Data`, which a parser then copies into `[UInt8]`: two file sizes
/// alive at once, where these hold one, or none beyond the page cache.
public enum FileBytes {
    /// Calls `body` with a regular file's bytes mapped read-only into memory (its pages in the
    /// page cache, populated up front on Linux), and unmaps them after; nil without calling `body`
    /// when the file cannot be mapped (not a regular file, empty, or `mmap` fails), which the
    /// caller then reads with `read`.
    ///
    /// Why: reading a 39 MB table into a fresh array took 50-90 ms (the kernel copies every page
    /// and faults in the array's), mapping it 11-15 ms (bench/README.md, 2026-12-04). The cost: a
    /// file truncated by another program while mapped raises SIGBUS on access (built-in kinds run
    /// in their own process, `loom exec-builtin`, so a task fails; and its key, hashed from the
    /// file's bytes, would be wrong anyway).
    public static func withMapping<T>(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        let size = Int(st.st_size)
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let map = mmap(nil, size, PROT_READ, flags, fd, 0), map != MAP_FAILED else { return nil }
        defer { munmap(map, size) }
        return try body(UnsafeBufferPointer(start: map.assumingMemoryBound(to: UInt8.self), count: size))
    }

    /// The file's bytes, or nil when it cannot be opened or read.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR else { return nil }
        let size = max(0, Int(st.st_size))
        var failed = false
        var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let n = sysRead(fd, buffer.baseAddress! + count, size - count)
                if n < 0 { if errno == EINTR { continue }; failed = true; return }
                if n == 0 { return }   // the file shrank since fstat
                count += n
            }
        }
        // The file grew since fstat: read the rest.
        var more = [UInt8](repeating: 0, count: 1 << 16)
        while !failed {
            let n = more.withUnsafeMutableBytes { sysRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; failed = true; break }
            if n == 0 { break }
            bytes.append(contentsOf: more[0..<n])
        }
        return failed ? nil : bytes
    }
}

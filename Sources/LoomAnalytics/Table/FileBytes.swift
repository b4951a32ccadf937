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
    /// Calls `body` with a regular file's bytes mapped read-only into memory, and unmaps them after;
    /// nil without calling `body` when the file cannot be mapped (not a regular file, empty, or `mmap`
    /// fails), which the caller then reads with `read`.
    ///
    /// A file smaller than `releasingFrom` bytes has its pages populated up front on Linux and `pages`
    /// is nil. A larger one is faulted in as it is read, and `body` gets its `MappedPages`, through
    /// which a reader that reads the file part by part releases each part once read: a mapped page
    /// counts in the process's resident set until unmapped, so without that a 400 MB file was 400 MB
    /// of train's peak at 20 million events, on top of the table read from it (bench/README.md,
    /// 2026-12-04 afternoon).
    ///
    /// Why map: reading a 39 MB table into a fresh array took 50-90 ms (the kernel copies every page
    /// and faults in the array's), mapping it 11-15 ms (bench/README.md, 2026-12-04). The cost: a
    /// file truncated by another program while mapped raises SIGBUS on access (built-in kinds run
    /// in their own process, `loom exec-builtin`, so a task fails; and its key, hashed from the
    /// file's bytes, would be wrong anyway).
    public static func withMapping<T>(_ path: String, releasingFrom: Int = releasingFrom,
                                      _ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ pages: MappedPages?) throws -> T) rethrows -> T? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        let size = Int(st.st_size)
        let releasable = size >= releasingFrom
        #if os(Linux)
        let flags = releasable ? MAP_PRIVATE : MAP_PRIVATE | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let map = mmap(nil, size, PROT_READ, flags, fd, 0), map != MAP_FAILED else { return nil }
        defer { munmap(map, size) }
        let bytes = UnsafeBufferPointer(start: map.assumingMemoryBound(to: UInt8.self), count: size)
        return try body(bytes, releasable ? MappedPages(start: Int(bitPattern: map), count: size) : nil)
    }

    /// Files from this size on are mapped without populating, their pages released part by part
    /// (`withMapping`): 64 MiB, far above the 39 MB table whose populated mapping was measured the
    /// fastest, and small beside the tables whose pages matter.
    public static let releasingFrom = 64 << 20

    /// The pages of a file mapped by `withMapping`, read-only and never written: releasing some
    /// drops them from the resident set, and reading them again faults them back in from the file
    /// (madvise MADV_DONTNEED on a private file mapping whose pages were never copied on write).
    public struct MappedPages: Sendable {
        let start: Int, count: Int
        static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

        /// Releases the whole pages inside bytes `range` of the mapping (a page partly outside stays).
        public func release(_ range: Range<Int>) {
            let size = Self.pageSize
            let from = (start + max(range.lowerBound, 0) + size - 1) / size * size
            let to = (start + min(range.upperBound, count)) / size * size
            guard to > from, let p = UnsafeMutableRawPointer(bitPattern: from) else { return }
            _ = madvise(p, to - from, Int32(MADV_DONTNEED))
        }
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

#if canImport(Glibc)
import Glibc
private let sysRead = Glibc.read   // named apart from `FileBytes.read`
#elseif canImport(Darwin)
import Darwin
private let sysRead = Darwin.read
#endif

/// A file's bytes read straight into one array. `FileManager.contents` gives `Data`, which a
/// parser then copies into `[UInt8]`: two file sizes alive at once, where this holds one.
public enum FileBytes {
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

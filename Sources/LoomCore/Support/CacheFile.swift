import CLoomSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The envelope of every derived cache Loom writes (parsed graphs, no-op memos, the stat cache):
/// a cache is trusted only if it was written by this very build of Loom and its bytes are the
/// bytes that were written. A new build never reads an old build's caches (no hand-bumped format
/// string can be forgotten), and a damaged cache reads as absent: it is rebuilt, with a warning
/// from the caller where a user would want to know.
///
/// Layout: the 32-byte build identity (`BuildIdentity.digest`), the payload, then the SHA-256 of
/// (format, build identity, payload) (32 bytes).
public enum CacheFile {
    public static func wrap(_ payload: [UInt8], format: String) -> [UInt8] {
        var out = BuildIdentity.digest.bytes
        out.reserveCapacity(payload.count + 64)
        out += payload
        out += checksum(format: format, body: out[...]).bytes
        return out
    }

    /// The payload, or nil if the file was written by another build or is damaged.
    public static func open(_ bytes: [UInt8], format: String) -> [UInt8]? {
        guard bytes.count >= 64, bytes[0..<32].elementsEqual(BuildIdentity.digest.bytes) else { return nil }
        let body = bytes[0..<(bytes.count - 32)]
        guard checksum(format: format, body: body).bytes.elementsEqual(bytes[(bytes.count - 32)...]) else { return nil }
        return Array(bytes[32..<(bytes.count - 32)])
    }

    /// Reads a cache file: its payload, or nil if it is absent, written by another build, or
    /// damaged; a damaged one is reported once (`Notices`) as `what` and should be rebuilt.
    public static func read(_ path: String, format: String, what: String) -> [UInt8]? {
        guard let bytes = try? FileSystem.readBytes(path) else { return nil }
        if let payload = open(bytes, format: format) { return payload }
        if bytes.count >= 32 && bytes[0..<32].elementsEqual(BuildIdentity.digest.bytes) {
            Notices.add("\(what) \(path) is damaged (checksum mismatch); ignoring it and rebuilding it")
        }
        return nil
    }

    private static func checksum(format: String, body: ArraySlice<UInt8>) -> Digest {
        var h = SHA256Hasher()
        h.update(Array(format.utf8) + [0])
        body.withUnsafeBytes { h.update($0) }
        return h.finalize()
    }
}

/// Which build of Loom is running: the executable's GNU build ID (a hash the linker computes
/// over the program), or, for an executable linked without one, its path, size, inode and
/// modification time.
public enum BuildIdentity {
    public static let digest: Digest = {
        var id = [UInt8](repeating: 0, count: 64)
        let n = Int(loom_build_id(&id, Int32(id.count)))
        if n > 0 { return Digest(of: Array("loom-build-id ".utf8) + id.prefix(n)) }
        var st = stat()
        let exe = "/proc/self/exe"
        stat(exe, &st)
        let text = "loom-exe \(TreeListing.readLink(exe) ?? "?") \(st.st_size) \(st.st_ino) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        return Digest(of: text)
    }()
}

/// Warnings found deep inside Loom (a damaged cache) for the command to print once.
public enum Notices {
    nonisolated(unsafe) private static var pending: [String] = []
    private static let lock = NSLock()

    public static func add(_ text: String) {
        lock.lock()
        if !pending.contains(text) { pending.append(text) }
        lock.unlock()
    }

    /// Every notice not taken yet, in byte order: caches are read on several threads (a run's
    /// prelude reads the memo and stat cache while the DAG loads), so the order they came in is
    /// the threads' and must not reach the terminal.
    public static func take() -> [String] {
        lock.lock()
        defer { pending = []; lock.unlock() }
        return JSON.sortedByBytes(pending)
    }
}

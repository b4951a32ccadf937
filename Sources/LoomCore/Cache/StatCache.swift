import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Remembers (path, size, mtime, inode) -> digest for declared input files, the way git's index
/// does, so unchanged large inputs are not re-hashed on every run. Any difference in the stat
/// fields means a re-hash. A file modified within the last `racyWindow` seconds is not remembered
/// (git's "racily clean" problem: a write in the same timestamp tick as our stat would go unseen).
///
/// File format, version 3 (`artifacts/statcache`), inside a `CacheFile` (one Loom build only,
/// checksummed: a wrong digest here would put a wrong file digest into keys): `BinaryWriter`
/// fields "loom-statcache 3", the count, then per file its path, size, mtime-ns, inode and digest,
/// sorted by path. (Version 2 was text; parsing it took 4 ms of a 28 ms no-op run at 1,000 inputs.)
public final class StatCache: @unchecked Sendable {   // `entries`, `dirty`, `hashedCount` under `lock`
    struct Entry: Equatable { var size: Int64; var mtimeNs: Int64; var inode: UInt64; var digest: Digest }

    public static let racyWindow: Double = 2
    static let format = "loom-statcache 3"
    private let path: String
    private var entries: [String: Entry] = [:]
    private var dirty = false
    private let lock = NSLock()
    /// How many files were hashed (not served from the cache) since load: for tests and `-v`.
    public private(set) var hashedCount = 0

    public init(path: String) {
        self.path = path
        guard let payload = CacheFile.read(path, format: Self.format, what: "stat cache"),
              var r = BinaryReader(payload, format: Self.format), let n = r.count() else { return }
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(n)
        for _ in 0..<n {
            guard let p = r.string(), let size = r.int(), let mt = r.int(), let ino = r.int(), let d = r.digest() else { return }
            entries[p] = Entry(size: Int64(size), mtimeNs: Int64(mt), inode: UInt64(truncatingIfNeeded: ino), digest: d)
        }
        if r.atEnd { self.entries = entries }
    }

    /// The digest of a file at `absolute` (recorded under the key `relative`).
    public func digest(ofFile absolute: String, key relative: String) throws -> Digest {
        var st = stat()
        guard stat(absolute, &st) == 0 else { throw FileSystem.fail("cannot stat", absolute) }
        return try digest(ofFile: absolute, key: relative, stat: st)
    }

    /// The same, given the file's `stat` (taken by the caller, which needed it anyway).
    public func digest(ofFile absolute: String, key relative: String, stat st: stat) throws -> Digest {
        let mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let probe = Entry(size: Int64(st.st_size), mtimeNs: mtimeNs, inode: UInt64(st.st_ino), digest: Digest(bytes: Array(repeating: 0, count: 32)))
        lock.lock()
        let known = entries[relative]
        lock.unlock()
        if let k = known, k.size == probe.size, k.mtimeNs == probe.mtimeNs, k.inode == probe.inode { return k.digest }
        let d = try FileHasher.digest(ofFile: absolute)
        let age = Date().timeIntervalSince1970 - Double(st.st_mtim.tv_sec)
        lock.lock()
        hashedCount += 1
        if age > Self.racyWindow {
            var e = probe
            e.digest = d
            entries[relative] = e
            dirty = true
        } else if entries.removeValue(forKey: relative) != nil {
            dirty = true
        }
        lock.unlock()
        return d
    }

    /// The digest of every remembered file whose stat still matches (`root`/key is a regular
    /// file of the same size, mtime and inode), statted in parallel chunks: what `RunPrelude`
    /// learns about the declared files while the DAG loads. A file that changed, is gone or is no
    /// longer a regular file is left out (the scan stats and hashes it as usual).
    public func unchanged(root: String) -> [String: Digest] {
        lock.lock()
        let known = Array(entries)
        lock.unlock()
        let same = Slots<Bool>(count: known.count)
        Chunks.forEach(known.count, size: 64) { range in
            for k in range {
                var st = stat()
                let e = known[k].value
                same[k] = stat(root + "/" + known[k].key, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && Int64(st.st_size) == e.size
                    && Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec) == e.mtimeNs && UInt64(st.st_ino) == e.inode
            }
        }
        var out: [String: Digest] = [:]
        out.reserveCapacity(known.count)
        for (k, (key, e)) in known.enumerated() where same[k] == true { out[key] = e.digest }
        return out
    }

    /// Writes the cache if anything changed (with `trash`, the file it replaces is deleted later:
    /// `FileSystem.replace`).
    public func save(trash: String? = nil) throws {
        lock.lock()
        defer { lock.unlock() }
        guard dirty else { return }
        var w = BinaryWriter(format: Self.format)
        w.int(entries.count)
        for (p, e) in JSON.sortedByBytes(entries) {
            w.string(p)
            w.int(Int(e.size))
            w.int(Int(e.mtimeNs))
            w.int(Int(truncatingIfNeeded: e.inode))
            w.digest(e.digest)
        }
        try FileSystem.writeAtomically(path, CacheFile.wrap(w.bytes, format: Self.format), trash: trash)
        dirty = false
    }
}

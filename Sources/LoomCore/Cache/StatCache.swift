import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Remembers (path, size, mtime, inode) -> digest for declared input files, the way git's index
/// does, so unchanged large inputs are not re-hashed on every run. Any difference in the stat
/// fields means a re-hash. A file modified within the last `racyWindow` seconds is not remembered
/// (git's "racily clean" problem: a write in the same timestamp tick as our stat would go unseen).
///
/// File format, version 2 (`artifacts/statcache`), inside a `CacheFile` (one Loom build only,
/// checksummed: a wrong digest here would put a wrong file digest into keys): a first line
/// `loom-statcache 2`, then one line per file: `size<TAB>mtime-ns<TAB>inode<TAB>digest-hex<TAB>path`,
/// sorted by path.
public final class StatCache: @unchecked Sendable {   // `entries`, `dirty`, `hashedCount` under `lock`
    struct Entry: Equatable { var size: Int64; var mtimeNs: Int64; var inode: UInt64; var digest: Digest }

    public static let racyWindow: Double = 2
    static let format = "loom-statcache 2"
    private let path: String
    private var entries: [String: Entry] = [:]
    private var dirty = false
    private let lock = NSLock()
    /// How many files were hashed (not served from the cache) since load: for tests and `-v`.
    public private(set) var hashedCount = 0

    public init(path: String) {
        self.path = path
        guard let bytes = CacheFile.read(path, format: Self.format, what: "stat cache") else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard lines.first.map(String.init) == Self.format else { return }
        lines = lines.dropFirst()
        for line in lines {
            let f = line.split(separator: "\t", maxSplits: 4, omittingEmptySubsequences: false)
            guard f.count == 5, let size = Int64(f[0]), let mt = Int64(f[1]), let ino = UInt64(f[2]),
                  let d = Digest(hex: String(f[3])) else { continue }
            entries[String(f[4])] = Entry(size: size, mtimeNs: mt, inode: ino, digest: d)
        }
    }

    /// The digest of a file at `absolute` (recorded under the key `relative`).
    public func digest(ofFile absolute: String, key relative: String) throws -> Digest {
        var st = stat()
        guard stat(absolute, &st) == 0 else { throw FileSystem.fail("cannot stat", absolute) }
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

    /// Writes the cache if anything changed.
    public func save() throws {
        lock.lock()
        defer { lock.unlock() }
        guard dirty else { return }
        var out = Self.format + "\n"
        for p in entries.keys.sorted(by: JSON.byteOrder) {
            let e = entries[p]!
            out += "\(e.size)\t\(e.mtimeNs)\t\(e.inode)\t\(e.digest.hex)\t\(p)\n"
        }
        try FileSystem.writeAtomically(path, CacheFile.wrap(Array(out.utf8), format: Self.format))
        dirty = false
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A cheap stat signature of a stored artifact, taken when it is committed: for the artifact
/// directory, every directory and every file in it, (path, inode, size, mtime). Any write to a
/// stored file (through any of its hard links: files are shared between artifacts as blobs), any
/// file added, removed or replaced, changes one of them. Checking a seal costs one `fstatat` per
/// entry and reads no content, so it runs on every cache hit and after every task for its inputs;
/// when it does not hold, the store re-hashes the artifact to tell a harmless change (a touch)
/// from damage. (A write that also sets the mtime back is not seen by the seal: `loom verify`
/// re-hashes everything.)
///
/// File `artifacts/seals/<artifact-digest>`, format "loom-seal 1" (`BinaryWriter`): the artifact's
/// `TreeListing` text (which hashes to the artifact digest, so a seal can be checked against its
/// name and tells each file's expected digest), then the number of entries and per entry its
/// relative path ("" for the artifact directory), inode, size and mtime in nanoseconds.
public struct TreeSeal: Equatable, Sendable {
    public static let format = "loom-seal 1"

    public struct Entry: Equatable, Sendable {
        public var path: String
        public var inode: UInt64
        public var size: Int64
        public var mtimeNs: Int64
    }

    /// The canonical listing the artifact digest was computed from.
    public var listing: String
    public var entries: [Entry]

    /// Bytes of the artifact's files (from the listing's `f` and `x` lines; directories and
    /// links count 0).
    public var fileBytes: Int64 {
        var total: Int64 = 0
        for line in listing.split(separator: "\n") where line.hasPrefix("f ") || line.hasPrefix("x ") {
            let fields = line.split(separator: " ", maxSplits: 3)
            if fields.count == 4, let n = Int64(fields[2]) { total += n }
        }
        return total
    }

    /// Takes the signature of `dir` as it is now (nil if it cannot be read).
    public static func take(_ dir: String, listing: String) -> TreeSeal? {
        var entries: [Entry] = []
        func walk(_ rel: String) -> Bool {
            let abs = rel.isEmpty ? dir : dir + "/" + rel
            var st = stat()
            guard lstat(abs, &st) == 0 else { return false }
            entries.append(entry(rel, st))
            guard st.st_mode & S_IFMT == S_IFDIR else { return true }
            guard let names = try? FileSystem.listDirectory(abs) else { return false }
            for name in names where !walk(rel.isEmpty ? name : rel + "/" + name) { return false }
            return true
        }
        return walk("") ? TreeSeal(listing: listing, entries: entries) : nil
    }

    static func entry(_ path: String, _ st: stat) -> Entry {
        Entry(path: path, inode: UInt64(st.st_ino), size: Int64(st.st_size),
              mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    /// The first entry of the seal that no longer matches `dir` (nil: the seal holds). A file
    /// added to a directory changes that directory's mtime.
    public func firstDifference(in dir: String) -> String? {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        for e in entries {
            var st = stat()
            let ok = e.path.isEmpty ? fstat(fd, &st) == 0 : fstatat(fd, e.path, &st, AT_SYMLINK_NOFOLLOW) == 0
            guard ok, Self.entry(e.path, st) == e else { return e.path }
        }
        return nil
    }

    public func encoded() -> [UInt8] {
        var w = BinaryWriter(format: Self.format)
        w.string(listing)
        w.int(entries.count)
        for e in entries {
            w.string(e.path)
            w.int(Int(truncatingIfNeeded: e.inode))
            w.int(Int(e.size))
            w.int(Int(e.mtimeNs))
        }
        return w.bytes
    }

    /// Nil unless the bytes are a well-formed seal whose listing hashes to `digest`.
    public static func decode(_ bytes: [UInt8], digest: Digest) -> TreeSeal? {
        guard var r = BinaryReader(bytes, format: format), let listing = r.string(), Digest(of: listing) == digest,
              let n = r.count() else { return nil }
        var entries: [Entry] = []
        entries.reserveCapacity(n)
        for _ in 0..<n {
            guard let p = r.string(), let ino = r.int(), let size = r.int(), let mt = r.int() else { return nil }
            entries.append(Entry(path: p, inode: UInt64(truncatingIfNeeded: ino), size: Int64(size), mtimeNs: Int64(mt)))
        }
        return r.atEnd ? TreeSeal(listing: listing, entries: entries) : nil
    }

    /// Each regular file's expected digest, from the listing (path -> digest).
    public var fileDigests: [(path: String, digest: Digest)] {
        var out: [(String, Digest)] = []
        for line in listing.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", maxSplits: 3)
            guard f.count == 4, f[0] == "f" || f[0] == "x", let d = Digest(hex: String(f[1])),
                  case .string(let p)? = try? JSON.parse(String(f[3])) else { continue }
            out.append((p, d))
        }
        return out
    }
}

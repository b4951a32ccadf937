import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checking and pruning the local store (`loom verify`, `loom gc`, `loom du`). Callers hold the
/// project lock, so no run commits while these walk the store.
public struct StoreMaintenance {
    public let store: LocalStore
    public init(store: LocalStore) { self.store = store }

    public struct VerifyReport: Sendable {
        public var treesChecked = 0
        public var keysChecked = 0
        /// Artifacts whose files no longer match their digest.
        public var corrupt: [Digest] = []
        /// Stored file contents whose bytes no longer match their name.
        public var corruptBlobs: [String] = []
        public var blobsChecked = 0
        /// Key entries that point at an artifact that is missing (or corrupt), or cannot be read.
        public var danglingKeys: [String] = []
        public var repaired = false
        public var isClean: Bool { corrupt.isEmpty && danglingKeys.isEmpty && corruptBlobs.isEmpty }
    }

    /// Re-hashes every blob and every artifact and checks every key entry. With `repair`, deletes
    /// corrupt blobs (so no commit can adopt them again), corrupt artifacts and the key entries
    /// that point at missing ones, so the next run rebuilds them.
    public func verify(repair: Bool) -> VerifyReport {
        var r = VerifyReport()
        let blobs = store.root + "/blobs"
        for shard in (try? FileSystem.listDirectory(blobs)) ?? [] {
            for name in (try? FileSystem.listDirectory(blobs + "/" + shard)) ?? [] {
                let p = blobs + "/" + shard + "/" + name
                r.blobsChecked += 1
                let hex = name.hasSuffix(".x") ? String(name.dropLast(2)) : name
                if Digest(hex: hex) == nil || (try? FileHasher.digest(ofFile: p)) != Digest(hex: hex) { r.corruptBlobs.append(p) }
            }
        }
        var bad = Set<Digest>()
        for name in (try? FileSystem.listDirectory(store.root + "/trees")) ?? [] {
            guard let d = Digest(hex: name) else { continue }
            r.treesChecked += 1
            if !store.verify(d) { r.corrupt.append(d); bad.insert(d) }
        }
        for (path, entry) in keyEntries() {
            r.keysChecked += 1
            if let e = entry, store.contains(e.artifact), !bad.contains(e.artifact) { continue }
            r.danglingKeys.append(path)
        }
        if repair {
            for p in r.corruptBlobs { unlink(p) }
            for d in r.corrupt { FileSystem.removeTree(store.location(of: d)); unlink(store.sealPath(d)); store.forgetSeal(d) }
            for p in r.danglingKeys { unlink(p) }
            r.repaired = true
        }
        return r
    }

    /// Every key entry file with its parsed entry (nil if unreadable).
    func keyEntries() -> [(String, ActionEntry?)] {
        var out: [(String, ActionEntry?)] = []
        let keys = store.root + "/keys"
        for shard in (try? FileSystem.listDirectory(keys)) ?? [] {
            for name in (try? FileSystem.listDirectory(keys + "/" + shard)) ?? [] where !name.contains(".tmp.") {
                out.append((keys + "/" + shard + "/" + name, CacheKey(hex: name).flatMap(store.lookup)))
            }
        }
        return out
    }

    public struct GCReport: Sendable {
        public var artifactsRemoved = 0
        public var keysRemoved = 0
        public var blobsRemoved = 0
        public var bytesFreed: Int64 = 0
        public var artifactsKept = 0
        /// Entries of `tmp/` removed: what killed processes left (staging directories, files
        /// replaced or removed but not yet deleted).
        public var leftoversRemoved = 0
    }

    /// Deletes every artifact not in `keep`, the key entries pointing at them, and file blobs no
    /// artifact links to any more. The tasks' `$LOOM_IN` views go first (they hold the stored
    /// files' inodes, which would keep removed blobs on disk): the next run that starts a task
    /// makes its view again. With `dryRun`, only counts.
    public func collect(keep: Set<Digest>, dryRun: Bool) -> GCReport {
        var r = GCReport()
        var removed = Set<Digest>()
        // The names the views (and tmp/'s leftovers) give to each inode: gone with them.
        var viewNames: [BlobInode: Int] = [:]
        if dryRun {
            func walk(_ dir: String) {
                for name in (try? FileSystem.listDirectory(dir)) ?? [] {
                    var st = stat()
                    guard lstat(dir + "/" + name, &st) == 0 else { continue }
                    switch st.st_mode & S_IFMT {
                    case S_IFDIR: walk(dir + "/" + name)
                    case S_IFREG: viewNames[BlobInode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)), default: 0] += 1
                    default: break
                    }
                }
            }
            walk(store.root + "/inputs")
            walk(store.root + "/tmp")   // cleared below, in a real run before the blobs are counted
        } else {
            FileSystem.removeTree(store.root + "/inputs")
            try? FileSystem.makeDirectories(store.root + "/inputs")
        }
        // tmp/ holds only what a process of this project made and had not finished with; under
        // the project lock none is running, so all of it is what killed ones left. Its files'
        // bytes are freed unless a blob shares them.
        let tmp = store.root + "/tmp"
        for name in (try? FileSystem.listDirectory(tmp)) ?? [] {
            r.leftoversRemoved += 1
            func bytes(_ path: String) -> Int64 {
                var st = stat()
                guard lstat(path, &st) == 0 else { return 0 }
                if (st.st_mode & S_IFMT) == S_IFDIR { return ((try? FileSystem.listDirectory(path)) ?? []).reduce(0) { $0 + bytes(path + "/" + $1) } }
                return (st.st_mode & S_IFMT) == S_IFREG && st.st_nlink == 1 ? Int64(st.st_size) : 0
            }
            r.bytesFreed += bytes(tmp + "/" + name)
            if !dryRun { FileSystem.removeTree(tmp + "/" + name) }
        }
        // A dry run frees what the real one would: a blob goes when every name it has but its
        // own is in a removed artifact (two removed artifacts may share it; one artifact may hold
        // it twice), and blobs no artifact names any more go too. Counted by inode.
        var names: [BlobInode: (links: Int, size: Int64, removed: Int)] = [:]
        for name in (try? FileSystem.listDirectory(store.root + "/trees")) ?? [] {
            guard let d = Digest(hex: name) else { continue }
            if keep.contains(d) { r.artifactsKept += 1; continue }
            removed.insert(d)
            r.artifactsRemoved += 1
            if dryRun { countNames(d, into: &names) } else { FileSystem.removeTree(store.location(of: d)); store.forgetSeal(d) }
        }
        if dryRun {
            for (k, n) in names where n.links - n.removed - viewNames[k, default: 0] <= 1 { r.bytesFreed += n.size }
            forEachBlob { _, st in
                let k = BlobInode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
                if names[k] == nil, Int(st.st_nlink) - viewNames[k, default: 0] <= 1 { r.bytesFreed += Int64(st.st_size) }
            }
        }
        for (path, entry) in keyEntries() where entry.map({ removed.contains($0.artifact) }) ?? true {
            r.keysRemoved += 1
            if !dryRun { unlink(path) }
        }
        if !dryRun {
            // A blob with one link is referenced by no artifact any more.
            forEachBlob { p, st in
                if st.st_nlink <= 1 {
                    r.blobsRemoved += 1
                    r.bytesFreed += Int64(st.st_size)
                    unlink(p)
                }
            }
        }
        return r
    }

    struct BlobInode: Hashable { var device: UInt64; var inode: UInt64 }

    /// Counts the names artifact `d` gives to each blob inode.
    func countNames(_ d: Digest, into names: inout [BlobInode: (links: Int, size: Int64, removed: Int)]) {
        _ = try? TreeListing.scan(store.location(of: d)) { abs, _, _, _ in
            var st = stat()
            if lstat(abs, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
                let k = BlobInode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
                names[k, default: (Int(st.st_nlink), Int64(st.st_size), 0)].removed += 1
            }
            return Digest(bytes: Array(repeating: 0, count: 32))
        }
    }

    /// Every blob with its `lstat`.
    func forEachBlob(_ body: (String, stat) -> Void) {
        let blobs = store.root + "/blobs"
        for shard in (try? FileSystem.listDirectory(blobs)) ?? [] {
            for name in (try? FileSystem.listDirectory(blobs + "/" + shard)) ?? [] {
                let p = blobs + "/" + shard + "/" + name
                var st = stat()
                if lstat(p, &st) == 0 { body(p, st) }
            }
        }
    }

    /// Total bytes of an artifact's files (shared files counted in full).
    public func size(of d: Digest) -> Int64 {
        var total: Int64 = 0
        _ = try? TreeListing.scan(store.location(of: d)) { _, _, _, size in
            total += size
            return Digest(bytes: Array(repeating: 0, count: 32))
        }
        return total
    }

    /// Bytes of all blobs: the store's real size on disk (each file counted once).
    public func blobBytes() -> Int64 {
        var total: Int64 = 0
        let blobs = store.root + "/blobs"
        for shard in (try? FileSystem.listDirectory(blobs)) ?? [] {
            for name in (try? FileSystem.listDirectory(blobs + "/" + shard)) ?? [] {
                var st = stat()
                if lstat(blobs + "/" + shard + "/" + name, &st) == 0 { total += Int64(st.st_size) }
            }
        }
        return total
    }

    /// The latest build state of every DAG that has one: (dag name, state).
    public func states() -> [(String, BuildState)] {
        ((try? FileSystem.listDirectory(store.root + "/state")) ?? []).filter { $0.hasSuffix(".tsv") }.map {
            (String($0.dropLast(4)), BuildState.load(store.root + "/state/" + $0))
        }
    }
}

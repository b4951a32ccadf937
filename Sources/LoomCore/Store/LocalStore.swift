import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The store under `artifacts/` on the local disk: both the content-addressed artifacts and the
/// action cache.
///
/// Layout, version 1:
///   artifacts/blobs/ab/<sha256>[.x]   file contents by digest, read-only (`.x`: executable)
///   artifacts/trees/<sha256>/         each artifact as a directory of hard links to blobs (read-only)
///   artifacts/seals/<sha256>          each artifact's listing and stat signature (`TreeSeal`)
///   artifacts/keys/ab/<key>           action-cache entries (see `entryText`)
///   artifacts/state/<dag>.tsv         last build of each task of a DAG (`BuildState`)
///   artifacts/latest/<dag>/<task>     symbolic link to the task's latest artifact
///   artifacts/inputs/<dag>/<task>/    each task's $LOOM_IN: links to its needs' artifacts (`InputLinks`)
///   artifacts/tmp/                    staging directories; leftovers are crash debris, safe to delete
///   artifacts/slurm/                  Slurm job scripts, node job files and outcomes while jobs run (`SlurmRunner`)
///   artifacts/statcache, artifacts/lock
///
/// Commit order makes a crash harmless: files are hard-linked into blobs, the staging directory
/// is renamed into `trees/`, and only then is the key entry written (itself by atomic rename).
/// A crash leaves orphans in tmp/ or blobs/, never a key pointing at a half-written artifact.
public final class LocalStore: ArtifactStore, ActionCache, Sendable {
    public let root: String
    public static let keyEntryHeader = "loom-key 2"

    /// `trees/`, held open so that existence checks walk one path component, not the whole root.
    private let treesFD: Int32
    private let evicted = Counter()
    public var evictions: Int { evicted.value }

    /// Seals of the artifacts this process committed, with their parsed listings: the task that
    /// needs one checks its seal right after (`condition`), and the group commit reads its
    /// listing to sync its files. Reading each back from disk (read, SHA-256 of the listing, parse)
    /// was 80 us of CPU per task of a cold 200-task chain. Bounded; evicted artifacts leave it.
    private let recent = RecentSeals()
    private let fine = Mutex<Bool?>(nil)

    final class RecentSeals: @unchecked Sendable {   // `seals` under `lock`
        static let capacity = 4096
        private let lock = NSLock()
        private var seals: [Digest: (seal: TreeSeal, listing: TreeListing)] = [:]
        func get(_ d: Digest) -> (seal: TreeSeal, listing: TreeListing)? { lock.lock(); defer { lock.unlock() }; return seals[d] }
        func put(_ d: Digest, _ s: TreeSeal, _ l: TreeListing) {
            lock.lock()
            if seals.count >= Self.capacity { seals.removeAll(keepingCapacity: true) }
            seals[d] = (s, l)
            lock.unlock()
        }
        func remove(_ d: Digest) { lock.lock(); seals[d] = nil; lock.unlock() }
    }

    final class Counter: @unchecked Sendable {   // `n` under `lock`
        private let lock = NSLock()
        private var n = 0
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
        func increment() { lock.lock(); n += 1; lock.unlock() }
    }

    public init(root: String) throws {
        self.root = root
        for d in ["blobs", "trees", "seals", "keys", "state", "latest", "inputs", "tmp"] { try FileSystem.makeDirectories(root + "/" + d) }
        treesFD = open(root + "/trees", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    deinit { if treesFD >= 0 { close(treesFD) } }

    // MARK: ArtifactStore

    public func makeStaging(label: String) throws -> String {
        let dir = "\(root)/tmp/\(label).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(dir, 0o755) == 0 else { throw FileSystem.fail("cannot create", dir) }
        return dir
    }

    public func commit(staging: String) throws -> Digest {
        let listing = try TreeListing.scan(staging) { abs, _, exec, _ in
            // A file with more than one name may share its inode with something outside the
            // output (a hard link the task made to a project file, an input or a blob), which
            // would tie the artifact to it: it gets an inode of its own. (Two names inside the
            // output are copied too, harmlessly: both end up linked to one blob.)
            var st = stat()
            if lstat(abs, &st) == 0, st.st_nlink > 1 { try FileSystem.copyFileReplacing(abs) }
            return try self.absorb(abs, executable: exec)
        }
        let digest = listing.digest
        let dest = location(of: digest)
        Self.sealDirectories(staging, top: false)
        if rename(staging, dest) != 0 {
            guard errno == EEXIST || errno == ENOTEMPTY else { throw FileSystem.fail("cannot move artifact into", dest) }
            if intact(digest, repair: false) {
                // Already present (same content committed before) and undamaged: keep the old one.
                FileSystem.removeTree(staging)
                return digest
            }
            // Present but damaged (a crash before it reached the disk, or a write into the
            // store): put the new one in its place.
            let old = "\(root)/tmp/damaged.\(digest.hex).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
            guard rename(dest, old) == 0, rename(staging, dest) == 0 else { throw FileSystem.fail("cannot replace damaged artifact", dest) }
            FileSystem.removeTree(old)
        }
        chmod(dest, 0o555)
        let seal = try writeSeal(digest, listing: listing.text)
        recent.put(digest, seal, listing)
        return digest
    }

    /// Makes an artifact's directories read-only (files are read-only blobs already), deepest
    /// first; the top one after it is renamed into place (renaming a directory to another
    /// parent needs write permission on it).
    static func sealDirectories(_ dir: String, top: Bool) {
        for name in (try? FileSystem.listDirectory(dir)) ?? [] {
            let p = dir + "/" + name
            var st = stat()
            if lstat(p, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { sealDirectories(p, top: true) }
        }
        if top { chmod(dir, 0o555) }
    }

    /// Replaces a staged file by a hard link to its blob (creating the blob from it if new). An
    /// existing blob is used only if its bytes are the staged file's: one whose bytes no longer
    /// match its name (cut short by a crash, or written to) is replaced.
    private func absorb(_ path: String, executable: Bool) throws -> Digest {
        let d = try FileHasher.digest(ofFile: path)
        let dir = "\(root)/blobs/\(d.hex.prefix(2))"
        if access(dir, F_OK) != 0 { try FileSystem.makeDirectories(dir) }
        let blob = "\(dir)/\(d.hex)\(executable ? ".x" : "")"
        var mine = stat(), stored = stat()
        if stat(blob, &stored) == 0, stat(path, &mine) == 0, stored.st_ino != mine.st_ino,
           !(FileSystem.sameContents(blob, path) ?? false) {
            unlink(blob)
        }
        if access(blob, F_OK) == 0 {
            unlink(path)
            guard link(blob, path) == 0 else { throw FileSystem.fail("cannot link blob into", path) }
        } else {
            chmod(path, executable ? 0o555 : 0o444)
            if link(path, blob) != 0 {
                guard errno == EEXIST else { throw FileSystem.fail("cannot store blob", blob) }
                // Another run stored it in between; it is checked the same way next time.
                unlink(path)
                guard link(blob, path) == 0 else { throw FileSystem.fail("cannot link blob into", path) }
            }
        }
        return d
    }

    // MARK: Seals

    func sealPath(_ digest: Digest) -> String { "\(root)/seals/\(digest.hex)" }

    @discardableResult
    func writeSeal(_ digest: Digest, listing: String) throws -> TreeSeal {
        guard let seal = TreeSeal.take(location(of: digest), listing: listing) else {
            throw FileSystem.fail("cannot read back artifact", location(of: digest))
        }
        recent.remove(digest)
        try FileSystem.writeAtomically(sealPath(digest), seal.encoded())
        return seal
    }

    /// One `fstatat` per entry, relative to the open `trees/` (a no-op run checks every
    /// artifact this way; opening each artifact's directory cost twice as much).
    public func sealHolds(_ digest: Digest, _ entries: [TreeSeal.Entry]) -> Bool {
        guard treesFD >= 0 else { return TreeSeal(listing: "", entries: entries).firstDifference(in: location(of: digest)) == nil }
        // "<hex>/<path>\0" built in one reused buffer (two Strings per entry were a tenth of a
        // no-op run's seal checks).
        var path: [UInt8] = []
        path.reserveCapacity(128)
        digest.appendHex(to: &path)
        let base = path.count
        for e in entries {
            path.removeSubrange(base...)
            if !e.path.isEmpty { path.append(UInt8(ascii: "/")); path.append(contentsOf: e.path.utf8) }
            path.append(0)
            var st = stat()
            let ok = path.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { fstatat(treesFD, $0.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) == 0 }
            }
            guard ok, TreeSeal.entry(e.path, st) == e else { return false }
        }
        return true
    }

    public func seal(of digest: Digest) -> TreeSeal? {
        if let r = recent.get(digest) { return r.seal }
        guard let bytes = try? FileSystem.readBytes(sealPath(digest)) else { return nil }
        return TreeSeal.decode(bytes, digest: digest)
    }

    /// Whether the artifact is present and its files are the bytes its digest names. Cheap when
    /// its seal holds; otherwise the artifact is re-hashed: undamaged (only touched), it is
    /// sealed again; damaged, it is evicted with its damaged blobs when `repair` is set.
    public func intact(_ digest: Digest, repair: Bool = true) -> Bool { condition(of: digest, repair: repair) == .intact }

    public func condition(of digest: Digest, repair: Bool) -> ArtifactCondition {
        let dir = location(of: digest)
        if let seal = seal(of: digest), sealHolds(digest, seal.entries) { return .intact }
        guard contains(digest) else { return .missing }
        if let listing = try? TreeListing.scan(dir, visitFile: { abs, _, _, _ in try FileHasher.digest(ofFile: abs) }),
           listing.digest == digest {
            if repair { try? writeSeal(digest, listing: listing.text) }
            return .intact
        }
        if repair { evict(digest) }
        return .damaged
    }

    /// The files of an artifact whose bytes no longer match the digest its listing names (by
    /// the seal's listing; every file if there is no seal).
    public func damagedFiles(_ digest: Digest) -> [String] {
        let dir = location(of: digest)
        guard let seal = seal(of: digest) else { return [""] }
        return seal.fileDigests.filter { (try? FileHasher.digest(ofFile: dir + "/" + $0.path)) != $0.digest }.map(\.path)
    }

    /// Removes a damaged artifact, its seal, and the blobs among its files whose bytes no longer
    /// match their names (other artifacts sharing such a blob fail their own seal check and are
    /// evicted when next used).
    /// Drops what this process remembers of an artifact another way of removing it took away.
    func forgetSeal(_ digest: Digest) { recent.remove(digest) }

    public func evict(_ digest: Digest) {
        evicted.increment()
        defer { recent.remove(digest) }
        if let seal = seal(of: digest) {
            for (_, d) in seal.fileDigests {
                for blob in ["\(root)/blobs/\(d.hex.prefix(2))/\(d.hex)", "\(root)/blobs/\(d.hex.prefix(2))/\(d.hex).x"]
                where FileSystem.exists(blob) && (try? FileHasher.digest(ofFile: blob)) != d {
                    unlink(blob)
                }
            }
        }
        let old = "\(root)/tmp/evicted.\(digest.hex).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        if rename(location(of: digest), old) == 0 { FileSystem.removeTree(old) }
        unlink(sealPath(digest))
    }

    public func discard(staging: String) { FileSystem.removeTree(staging) }

    /// Makes these artifacts durable, and nothing else: each of their files (the blobs' inodes)
    /// and directories, and the directories their names were added to (`trees/`, `blobs/ab/`).
    /// A `syncfs` did the same by flushing every dirty page of the whole file system, other
    /// programs' and other tasks' large outputs included; this costs what Loom itself wrote. The
    /// files are flushed from a few threads at once, so that the file system's journal commits
    /// them together. Seals are not synced: one lost to a power failure, or left torn (its
    /// listing must hash to the artifact's digest), reads as absent, and the artifact is hashed
    /// again when next checked. Two more paths per artifact had made a one-input rerun's flush
    /// two rounds of the lanes instead of one (1.5-3 ms on the bench machine).
    public func sync(_ artifacts: [Digest]) throws {
        var paths: [String] = []
        var seen = Set<String>()
        func add(_ p: String) { if seen.insert(p).inserted { paths.append(p) } }
        for d in artifacts {
            let dir = location(of: d)
            guard let listing = recent.get(d)?.listing ?? seal(of: d).flatMap({ TreeListing.parse($0.listing) }) else {
                throw FileSystem.Failure(path: sealPath(d), operation: "cannot read the seal of", errno: EIO)
            }
            for e in listing.entries {
                switch e.kind {
                case .file, .executable:
                    add(dir + "/" + e.path)
                    if let fd = e.digest { add("\(root)/blobs/\(fd.hex.prefix(2))") }
                case .directory: add(dir + "/" + e.path)
                case .link: break   // a link is an entry of its directory
                }
            }
            add(dir)
        }
        if !paths.isEmpty { add(root + "/trees") }
        let failures = Slots<FileSystem.Failure>(count: paths.count)
        let all = paths
        // Each lane mostly waits for the disk: each is a serial queue of its own, which gets a
        // thread of its own (serial queues overcommit), not one of `concurrentPerform`'s one per
        // core (on 2 cores that flushed a one-input rebuild's 6 paths two at a time; a concurrent
        // queue, whose threads are the pool's, ran them one after another).
        let lanes = min(Self.syncLanes.count, all.count), flushing = DispatchGroup()
        for lane in 0..<lanes {
            Self.syncLanes[lane].async(group: flushing) {
                for i in stride(from: lane, to: all.count, by: lanes) {
                    let fd = open(all[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                    if fd < 0 || fsync(fd) != 0 { failures[i] = FileSystem.fail("cannot sync", all[i]) }
                    if fd >= 0 { close(fd) }
                }
            }
        }
        flushing.wait()
        if let f = failures.values.compactMap({ $0 }).first { throw f }
    }

    private static let syncLanes = (0..<8).map { DispatchQueue(label: "loom.store-sync.\($0)") }

    public func contains(_ digest: Digest) -> Bool {
        treesFD >= 0 ? faccessat(treesFD, digest.hex, F_OK, 0) == 0 : access(location(of: digest), F_OK) == 0
    }

    /// A stamp of `latest/<dag>/`: it changes when a link there is added, removed or replaced
    /// (by Loom or by hand), since its ctime cannot be set back; replacing the directory changes
    /// its inode.
    public func latestMembership(dag: String) -> StoreMembership? { membership(of: latestDirectory(dag: dag)) }

    /// The same stamp for any directory of the store (a task's `$LOOM_IN`: `InputLinks`).
    public func membership(of directory: String) -> StoreMembership? {
        var st = stat()
        guard stat(directory, &st) == 0 else { return nil }
        var m = Self.stamp(st)
        // Asked only of a directory changed in this tick (a run that just moved links).
        if !(m.changedAt < NoopMemo.coarseClock()) { m.showsLaterChanges = fineChangeTimes(directory: directory) }
        return m
    }

    /// `NoopMemo.changeTimesFineAfterQuery` for the store's file system (every directory of the
    /// store is on it), probed once per store object.
    private func fineChangeTimes(directory: String) -> Bool {
        fine.withLock { known in
            if let known { return known }
            let f = NoopMemo.changeTimesFineAfterQuery(directory: directory, probe: root + "/state/clock-probe")
            known = f
            return f
        }
    }

    private static func stamp(_ st: stat) -> StoreMembership {
        StoreMembership(stamp: "\(st.st_dev):\(st.st_ino):\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)",
                        changedAt: (Int(st.st_ctim.tv_sec), Int(st.st_ctim.tv_nsec)))
    }

    public func location(of digest: Digest) -> String { "\(root)/trees/\(digest.hex)" }

    /// Recomputes an artifact's digest from its files (for `loom verify`).
    public func verify(_ digest: Digest) -> Bool {
        let dir = location(of: digest)
        guard let listing = try? TreeListing.scan(dir, visitFile: { abs, _, _, _ in try FileHasher.digest(ofFile: abs) }) else { return false }
        return listing.digest == digest
    }

    // MARK: ActionCache

    func keyPath(_ key: CacheKey) -> String { "\(root)/keys/\(key.hex.prefix(2))/\(key.hex)" }

    /// Entry format, version 2: line 1 `loom-key 2`, line 2 `artifact <digest-hex>`, line 3
    /// `check <sha256-hex>` of (header, key, artifact), then the manifest as stable JSON
    /// (`KeyManifest.json`). A lookup trusts an entry only if the check holds and the manifest
    /// hashes to the key: a changed byte anywhere makes it a miss, never another artifact.
    static func entryText(_ e: ActionEntry) -> String {
        var w = JSONWriter(pretty: true, capacity: 512 + 100 * e.manifest.inputs.count)
        e.manifest.write(&w)
        return "\(keyEntryHeader)\nartifact \(e.artifact.hex)\ncheck \(check(e.key, e.artifact).hex)\n" + String(decoding: w.bytes, as: UTF8.self) + "\n"
    }

    static func check(_ key: CacheKey, _ artifact: Digest) -> Digest { Digest(of: "\(keyEntryHeader) \(key.hex) \(artifact.hex)") }

    public func lookup(_ key: CacheKey) -> ActionEntry? {
        guard let text = try? FileSystem.readText(keyPath(key)) else { return nil }
        let parts = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.keyEntryHeader, parts[1].hasPrefix("artifact "), parts[2].hasPrefix("check "),
              let d = Digest(hex: String(parts[1].dropFirst(9))), Digest(hex: String(parts[2].dropFirst(6))) == Self.check(key, d),
              let json = try? JSON.parse(String(parts[3])), let m = KeyManifest(json: json), m.key == key else { return nil }
        return ActionEntry(key: key, artifact: d, manifest: m)
    }

    public func record(_ entry: ActionEntry) throws {
        let p = keyPath(entry.key)
        try FileSystem.makeDirectories(FileSystem.parent(of: p))
        try FileSystem.writeAtomically(p, Self.entryText(entry))
    }

    // MARK: Latest links

    public func latestDirectory(dag: String) -> String { "\(root)/latest/\(dag)" }

    /// Points `latest/<dag>/<task>` at the artifact (only touching the link when it changes).
    public func updateLatest(dag: String, task: String, digest: Digest) {
        let dir = latestDirectory(dag: dag)
        let link = "\(dir)/\(task)"
        let target = "../../trees/\(digest.hex)"
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink(link, &buf, buf.count - 1)
        if n > 0, String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) == target { return }
        try? FileSystem.makeDirectories(dir)
        let tmp = link + ".tmp.\(getpid())"
        unlink(tmp)
        // The link replaced goes to tmp/ and is deleted later: `FileSystem.replace`.
        if symlink(target, tmp) == 0 { _ = FileSystem.replace(AT_FDCWD, tmp, AT_FDCWD, link, trash: root + "/tmp") }
    }
}

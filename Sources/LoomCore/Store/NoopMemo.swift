#if canImport(Glibc)
import Glibc
#endif

/// What earlier runs of a DAG proved about each task, so that a task whose inputs did not change
/// can skip recomputing its key (the way ninja trusts its log, but keyed by content, not mtimes).
///
/// An entry for task `i` says: in a run with this graph (its `GraphCache` key: DAG text, root,
/// overrides, kinds), task `i`, given these declared-file digests and these artifacts of its
/// needed tasks (together `given`), had key `key`, and ended with the build state recording
/// `key` -> the sealed artifact. A task's key is a function of its node (fixed by the graph key),
/// its declared files' digests and its needed tasks' artifacts, so a later run whose `given` for
/// task `i` is equal, and whose build state still records exactly (`key`, artifact) for it, may
/// take that key and artifact instead of recomputing them, provided that the task is not forced
/// and the artifact is still in the store as it was sealed. Anything else goes the full way.
/// Entries are per task: a run after one input changed still takes every other task from here.
/// An entry also keeps the task's metrics, a function of its artifact, to save reading them back.
///
/// "Still in the store, undamaged" is checked per task by the artifact's seal (`TreeSeal`), kept
/// here so that a no-op run reads one file: one `fstatat` per directory and file of each
/// artifact, about what ninja spends on a no-op (it stats every output). A seal that no longer
/// holds sends the task the full way, which re-hashes, explains and evicts damage.
///
/// A stamp of `latest/<dag>/` (its ctime, which cannot be set back) tells whether every entry's
/// latest link is still the one the memo's run left: if so, links are touched only for artifacts
/// that changed; if not (a link removed by hand), every link is checked and repaired. A change is
/// stamped with the file system's clock, which moves in ticks, so a change in the same tick as the
/// stamp's would not show (git's "racily clean" index). The stamp is therefore recorded only if,
/// before taking it, the run read the coarse wall clock (the clock the kernel stamps inodes with)
/// and found it already past the stamp's change time; on a file system with whole-second times it
/// must be two seconds past. With multigrain timestamps (Linux 6.13+), a change after a `stat`
/// gets a finer, later time, so there the stamp is recorded at once (`changeTimesFineAfterQuery`).
///
/// File `artifacts/state/<dag>.memo`, format "loom-memo 5" (`CacheFile`: checksummed, and written
/// for one Loom build only), `BinaryWriter` fields: the graph key, then per entry its node index,
/// `given`, key, metrics, artifact digest and seal entries, then the latest links' stamp or
/// nothing. (The stamp is last so that the entries can be encoded before it is taken, while the
/// clock leaves the tick of the run's last link change; 4 had it first. 3 was one fingerprint
/// over every declared file and the whole build state: one changed input sent every task of the
/// DAG the full way.)
public struct NoopMemo: Equatable, Sendable {
    public static let format = "loom-memo 5"
    /// The `GraphCache` key of the graph the entries' node indices refer to.
    public var graph: Digest
    /// The stamp of `latest/<dag>/` when every entry's latest link was known right, if trusted.
    public var links: String?
    /// Node index -> what is known about that task.
    public var entries: [Int: Entry]

    public struct Entry: Equatable, Sendable {
        /// `NoopMemo.given`: the task's declared-file digests and its needed tasks' artifacts.
        public var given: Digest
        public var key: CacheKey
        public var metrics: [String: Double]
        /// Its artifact (`seal.digest`) and the stat signature of its files.
        public var seal: Seal
        public init(given: Digest, key: CacheKey, metrics: [String: Double], seal: Seal) {
            self.given = given
            self.key = key
            self.metrics = metrics
            self.seal = seal
        }
    }

    /// An artifact's digest and the stat signature of its files (`TreeSeal` without the listing).
    public struct Seal: Equatable, Sendable {
        public var digest: Digest
        public var entries: [TreeSeal.Entry]
        public init(digest: Digest, entries: [TreeSeal.Entry]) {
            self.digest = digest
            self.entries = entries
        }
        /// Whether the artifact is in the store, every file as it was sealed.
        public func holds(in store: ArtifactStore) -> Bool { store.sealHolds(digest, entries) }
    }

    public init(graph: Digest, links: String? = nil, entries: [Int: Entry] = [:]) {
        self.graph = graph
        self.links = links
        self.entries = entries
    }

    /// What a task's key depends on besides its node: each declared file's digest (in the node's
    /// order) and each needed task's artifact (in the order of `needs`).
    public static func given(files: [String], digests: [String: Digest], upstream: [Digest]) -> Digest {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + 32 * (files.count + upstream.count))
        withUnsafeBytes(of: UInt32(files.count).littleEndian) { bytes.append(contentsOf: $0) }
        for f in files {
            if let d = digests[f] { d.append(to: &bytes) } else { bytes.append(contentsOf: repeatElement(0, count: 32)) }
        }
        withUnsafeBytes(of: UInt32(upstream.count).littleEndian) { bytes.append(contentsOf: $0) }
        for d in upstream { d.append(to: &bytes) }
        return Digest(of: bytes)
    }

    /// The stamp to record, if the coarse wall clock read just before taking it (`clockBefore`,
    /// seconds and nanoseconds) was already past the stamp's change time, or the file system
    /// shows every later change anyway (`StoreMembership.showsLaterChanges`).
    public static func trusted(_ m: StoreMembership?, clockBefore now: (seconds: Int, nanoseconds: Int)) -> String? {
        guard let m else { return nil }
        return m.showsLaterChanges || changed(m.changedAt, before: now) ? m.stamp : nil
    }

    /// Whether a change time is past for good at coarse clock reading `now`: no later change can
    /// carry it. Before `now`'s tick, or on a file system of whole seconds (nanoseconds 0, which
    /// may round), two seconds before.
    static func changed(_ c: (seconds: Int, nanoseconds: Int), before now: (seconds: Int, nanoseconds: Int)) -> Bool {
        c.nanoseconds == 0 ? c.seconds + 2 <= now.seconds : c < now
    }

    /// CLOCK_REALTIME_COARSE: what the kernel stamps inodes with (finer clocks are never behind it).
    public static func coarseClock() -> (seconds: Int, nanoseconds: Int) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return (Int(ts.tv_sec), Int(ts.tv_nsec))
    }

    /// Whether the file system holding `directory` gives a change made after a `stat` a later
    /// change time even within the clock's tick (Linux 6.13's multigrain timestamps: ext4, xfs,
    /// btrfs, tmpfs). Then a stamp taken by a `stat` after a run's last change shows any later
    /// change, and need not wait for the tick to end. Probed on a scratch file `probe`, which
    /// must be on the same file system: change it, query its change time, change it again, and
    /// see whether the second change got a later time within one tick (a tick that ended during
    /// the probe makes it try again). Two changes, not one: a file last changed in an earlier
    /// tick is given the tick's coarse time by a multigrain file system too (it is later
    /// already), so one change after a query said no on every run but the probe file's first.
    public static func changeTimesFineAfterQuery(directory: String, probe: String) -> Bool {
        var d = stat(), first = stat(), second = stat()
        guard stat(directory, &d) == 0 else { return false }
        let fd = open(probe, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        for _ in 0..<3 {
            let before = coarseClock()
            guard fchmod(fd, 0o600) == 0, fstat(fd, &first) == 0, first.st_dev == d.st_dev,   // the query
                  fchmod(fd, 0o644) == 0, fstat(fd, &second) == 0 else { return false }
            let after = coarseClock()
            guard before == after else { continue }
            return (Int(second.st_ctim.tv_sec), Int(second.st_ctim.tv_nsec)) > (Int(first.st_ctim.tv_sec), Int(first.st_ctim.tv_nsec))
        }
        return false
    }

    public static func path(storeRoot: String, dag: String) -> String { "\(storeRoot)/state/\(dag).memo" }

    /// The memo at `path`, or nil if there is none, it is damaged, or another build wrote it.
    public static func load(_ path: String) -> NoopMemo? {
        guard let payload = CacheFile.read(path, format: format, what: "no-op memo"), var r = BinaryReader(payload, format: format),
              let graph = r.digest(), let n = r.count() else { return nil }
        var entries: [Int: Entry] = [:]
        entries.reserveCapacity(n)
        for _ in 0..<n {
            guard let i = r.int(), let given = r.digest(), let key = r.digest(), let m = r.count() else { return nil }
            var metrics: [String: Double] = [:]
            for _ in 0..<m { guard let k = r.string(), let v = r.double() else { return nil }; metrics[k] = v }
            guard let d = r.digest(), let e = r.count() else { return nil }
            var files: [TreeSeal.Entry] = []
            files.reserveCapacity(e)
            for _ in 0..<e {
                guard let p = r.string(), let ino = r.int(), let size = r.int(), let mt = r.int() else { return nil }
                files.append(TreeSeal.Entry(path: p, inode: UInt64(truncatingIfNeeded: ino), size: Int64(size), mtimeNs: Int64(mt)))
            }
            entries[i] = Entry(given: given, key: CacheKey(key), metrics: metrics, seal: Seal(digest: d, entries: files))
        }
        guard let links = r.optional({ $0.string() }), r.atEnd else { return nil }
        return NoopMemo(graph: graph, links: links, entries: entries)
    }

    public func save(_ path: String) throws { try Self.save(path, entries: encodedEntries(), links: links) }

    /// Writes a memo from `encodedEntries()` of it and its links stamp.
    /// With `trash`, the memo it replaces is deleted later (`FileSystem.replace`).
    public static func save(_ path: String, entries: EncodedEntries, links: String?, trash: String? = nil) throws {
        var w = entries.writer
        w.optional(links) { $0.string($1) }
        try FileSystem.writeAtomically(path, CacheFile.wrap(w.bytes, format: Self.format), trash: trash)
    }

    /// The memo's file up to its links stamp (see `save(_:entries:links:)`).
    public struct EncodedEntries: Sendable { fileprivate var writer: BinaryWriter }

    /// Node indices in ascending order, by marking them in a table when they are small (node
    /// indices always are): the standard library's sort, even given a closure on `Int`, looks
    /// up `Int: Comparable` at run time on its first use, a conformance scan of 0.08 ms.
    static func ascending(_ keys: Dictionary<Int, Entry>.Keys) -> [Int] {
        let bound = keys.count * 4 + 64
        var present = [Bool](repeating: false, count: bound)
        for k in keys {
            guard k >= 0 && k < bound else { return keys.sorted() }
            present[k] = true
        }
        var out: [Int] = []
        out.reserveCapacity(keys.count)
        for k in 0..<bound where present[k] { out.append(k) }
        return out
    }

    public func encodedEntries() -> EncodedEntries {
        var w = BinaryWriter(format: Self.format)
        w.digest(graph)
        w.int(entries.count)
        for i in Self.ascending(entries.keys) {
            let e = entries[i]!
            w.int(i)
            w.digest(e.given)
            w.digest(e.key.digest)
            w.int(e.metrics.count)
            for k in e.metrics.keys.sorted(by: JSON.byteOrder) { w.string(k); w.double(e.metrics[k]!) }
            w.digest(e.seal.digest)
            w.int(e.seal.entries.count)
            for f in e.seal.entries {
                w.string(f.path)
                w.int(Int(truncatingIfNeeded: f.inode))
                w.int(Int(f.size))
                w.int(Int(f.mtimeNs))
            }
        }
        return EncodedEntries(writer: w)
    }
}

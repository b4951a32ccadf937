#if canImport(Glibc)
import Glibc
#endif

/// What the last successful run of a DAG proved, so that the next run with nothing changed can
/// skip recomputing every key (the way ninja trusts its log, but keyed by content, not mtimes).
///
/// A run that ended with every included task cached or ran, and the build state holding exactly
/// their keys and artifacts, proves: with this graph (its `GraphCache` key: DAG text, root,
/// overrides, kinds), these targets, these declared-file digests and this build state (its bytes),
/// each included task's key is the one in the build state. A later run whose fingerprint of those
/// four things is equal may take a task's key and artifact from the build state instead of
/// recomputing them, provided that the task is not forced, that each needed task ended with the
/// artifact the build state names (it may have rerun), and that the artifact is still in the store.
/// Anything else goes the full way. The memo also keeps each task's metrics, which are a function
/// of its artifact, to save reading them back.
///
/// "Still in the store, undamaged" is checked per task by the artifact's seal (`TreeSeal`), kept in
/// the memo so that a no-op run reads one file: one `fstatat` per directory and file of each
/// artifact, about what ninja spends on a no-op (it stats every output). A seal that no longer
/// holds sends the task the full way, which re-hashes, explains and evicts damage.
///
/// A stamp of `latest/<dag>/` (its ctime, which cannot be set back) tells whether every included
/// task's latest link is still the one that run left: if so, links are touched only for
/// artifacts that changed; if not (a link removed by hand), every link is checked and repaired.
/// A change is stamped with the file system's clock, which moves in ticks, so a change in the
/// same tick as the stamp's would not show (git's "racily clean" index). The stamp is therefore
/// recorded only if, before taking it, the run read the coarse wall clock (the clock the kernel
/// stamps inodes with) and found it already past the stamp's change time; on a file system with
/// whole-second times it must be two seconds past.
///
/// File `artifacts/state/<dag>.memo`, format "loom-memo 3" (`CacheFile`: checksummed, and
/// written for one Loom build only), `BinaryWriter` fields: the fingerprint, the latest links'
/// stamp or nothing, then per included task its node index, metrics, artifact digest and seal
/// entries.
public struct NoopMemo: Equatable, Sendable {
    public static let format = "loom-memo 3"
    public var fingerprint: Digest
    /// The stamp of `latest/<dag>/` when every covered task's link was known right, if trusted.
    public var links: String?
    /// Node index -> metrics, for every task the memo covers.
    public var metrics: [Int: [String: Double]]
    /// Node index -> its artifact's seal, for every task the memo covers.
    public var seals: [Int: Seal]

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

    public init(fingerprint: Digest, links: String? = nil, metrics: [Int: [String: Double]], seals: [Int: Seal] = [:]) {
        self.fingerprint = fingerprint
        self.links = links
        self.metrics = metrics
        self.seals = seals
    }

    /// The stamp to record, if the coarse wall clock read just before taking it (`clockBefore`,
    /// seconds and nanoseconds) was already past the stamp's change time.
    public static func trusted(_ m: StoreMembership?, clockBefore now: (seconds: Int, nanoseconds: Int)) -> String? {
        guard let m else { return nil }
        let c = m.changedAt
        let past = c.nanoseconds == 0 ? c.seconds + 2 <= now.seconds : c < now
        return past ? m.stamp : nil
    }

    /// CLOCK_REALTIME_COARSE: what the kernel stamps inodes with (finer clocks are never behind it).
    public static func coarseClock() -> (seconds: Int, nanoseconds: Int) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return (Int(ts.tv_sec), Int(ts.tv_nsec))
    }

    public static func path(storeRoot: String, dag: String) -> String { "\(storeRoot)/state/\(dag).memo" }

    /// The fingerprint of everything, besides the store's contents, that a task's key depends on.
    public static func fingerprint(graph: Digest, targets: [String], files: [String: Digest], state: Digest) -> Digest {
        var e = CanonicalEncoder()
        e.field("format", format)
        e.field("key-schema", String(KeyManifest.schemaVersion))
        e.field("graph", graph.hex)
        e.field("state", state.hex)
        let t = Array(Set(targets)).sorted(by: JSON.byteOrder)
        e.count("targets", t.count)
        for name in t { e.field("target", name) }
        e.count("files", files.count)
        for p in files.keys.sorted(by: JSON.byteOrder) { e.field("path", p); e.field("digest", files[p]!.hex) }
        return Digest(of: e.bytes)
    }

    /// The memo at `path`, or nil if there is none, it is damaged, or another build wrote it.
    public static func load(_ path: String) -> NoopMemo? {
        guard let payload = CacheFile.read(path, format: format, what: "no-op memo"), var r = BinaryReader(payload, format: format),
              let fp = r.digest(), let links = r.optional({ $0.string() }), let n = r.count() else { return nil }
        var metrics: [Int: [String: Double]] = [:], seals: [Int: Seal] = [:]
        metrics.reserveCapacity(n)
        seals.reserveCapacity(n)
        for _ in 0..<n {
            guard let i = r.int(), let m = r.count() else { return nil }
            var values: [String: Double] = [:]
            for _ in 0..<m { guard let k = r.string(), let v = r.double() else { return nil }; values[k] = v }
            metrics[i] = values
            guard let d = r.digest(), let e = r.count() else { return nil }
            var entries: [TreeSeal.Entry] = []
            entries.reserveCapacity(e)
            for _ in 0..<e {
                guard let p = r.string(), let ino = r.int(), let size = r.int(), let mt = r.int() else { return nil }
                entries.append(TreeSeal.Entry(path: p, inode: UInt64(truncatingIfNeeded: ino), size: Int64(size), mtimeNs: Int64(mt)))
            }
            seals[i] = Seal(digest: d, entries: entries)
        }
        return r.atEnd ? NoopMemo(fingerprint: fp, links: links, metrics: metrics, seals: seals) : nil
    }

    public func save(_ path: String) throws {
        var w = BinaryWriter(format: Self.format)
        w.digest(fingerprint)
        w.optional(links) { $0.string($1) }
        w.int(metrics.count)
        for i in metrics.keys.sorted() {
            w.int(i)
            let m = metrics[i]!
            w.int(m.count)
            for k in m.keys.sorted(by: JSON.byteOrder) { w.string(k); w.double(m[k]!) }
            let seal = seals[i] ?? Seal(digest: Digest(bytes: Array(repeating: 0, count: 32)), entries: [])
            w.digest(seal.digest)
            w.int(seal.entries.count)
            for e in seal.entries {
                w.string(e.path)
                w.int(Int(truncatingIfNeeded: e.inode))
                w.int(Int(e.size))
                w.int(Int(e.mtimeNs))
            }
        }
        try FileSystem.writeAtomically(path, CacheFile.wrap(w.bytes, format: Self.format))
    }
}

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
/// "Still in the store" is checked per task, as the full path does, unless the store's membership
/// stamp (`ArtifactStore.membership`) is the one recorded with the memo: then no artifact has been
/// added or removed since the run checked them all. A change is stamped with the file system's
/// clock, which moves in ticks, so a change in the same tick as the stamp's would not show (git's
/// "racily clean" index). The stamp is therefore recorded only if, before taking it, the run read
/// the coarse wall clock (the clock the kernel stamps inodes with, or a finer one) and found it
/// already past the stamp's change time: every later change then carries a later time. On a file
/// system with whole-second times (no nanoseconds in the stamp) it must be two seconds past. So
/// the run right after a cold run still checks each artifact, and the runs after it do not.
///
/// The same kind of stamp of `latest/<dag>/` tells whether every included task's latest link is
/// still the one that run left: if so, links are touched only for artifacts that changed; if not
/// (a link removed by hand), every link is checked and repaired.
///
/// File `artifacts/state/<dag>.memo`, format "loom-memo 2" (`BinaryWriter`): the fingerprint, the
/// store's membership stamp or nothing, the latest links' stamp or nothing, then per included task
/// its node index and metrics.
public struct NoopMemo: Equatable, Sendable {
    public static let format = "loom-memo 2"
    public var fingerprint: Digest
    /// The store's membership stamp when every covered artifact was known present, if trusted.
    public var membership: String?
    /// The stamp of `latest/<dag>/` when every covered task's link was known right, if trusted.
    public var links: String?
    /// Node index -> metrics, for every task the memo covers.
    public var metrics: [Int: [String: Double]]

    public init(fingerprint: Digest, membership: String?, links: String? = nil, metrics: [Int: [String: Double]]) {
        self.fingerprint = fingerprint
        self.membership = membership
        self.links = links
        self.metrics = metrics
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

    public static func load(_ path: String) -> NoopMemo? {
        guard let bytes = try? FileSystem.readBytes(path), var r = BinaryReader(bytes, format: format),
              let fp = r.digest(), let membership = r.optional({ $0.string() }), let links = r.optional({ $0.string() }),
              let n = r.count() else { return nil }
        var metrics: [Int: [String: Double]] = [:]
        metrics.reserveCapacity(n)
        for _ in 0..<n {
            guard let i = r.int(), let m = r.count() else { return nil }
            var values: [String: Double] = [:]
            for _ in 0..<m { guard let k = r.string(), let v = r.double() else { return nil }; values[k] = v }
            metrics[i] = values
        }
        return r.atEnd ? NoopMemo(fingerprint: fp, membership: membership, links: links, metrics: metrics) : nil
    }

    public func save(_ path: String) throws {
        var w = BinaryWriter(format: Self.format)
        w.digest(fingerprint)
        w.optional(membership) { $0.string($1) }
        w.optional(links) { $0.string($1) }
        w.int(metrics.count)
        for i in metrics.keys.sorted() {
            w.int(i)
            let m = metrics[i]!
            w.int(m.count)
            for k in m.keys.sorted(by: JSON.byteOrder) { w.string(k); w.double(m[k]!) }
        }
        try FileSystem.writeAtomically(path, w.bytes)
    }
}

/// Why a task will run. A task with no reasons is up to date.
public enum StaleReason: Equatable, Sendable, CustomStringConvertible {
    /// No build of this task is recorded for this DAG.
    case neverRun
    /// `--force` named it.
    case forced
    /// The key's entry names an artifact that is no longer in the store.
    case artifactMissing(Digest)
    /// The artifact's files are no longer the bytes its digest names (written to in the store);
    /// it was evicted (or, in `status`, will be).
    case artifactDamaged(Digest)
    /// A field of the key differs from the last build's.
    case changed(KeyDiff)
    /// A needed task will run first, so this task's key is not known yet.
    case upstreamWillRun(String)
    /// The key differs from the last build's, but the last build's manifest is not in the cache.
    case previousUnknown

    public var description: String {
        switch self {
        case .neverRun: return "never run"
        case .forced: return "forced"
        case .artifactMissing(let d): return "artifact \(d.short) missing from the store"
        case .artifactDamaged(let d): return "artifact \(d.short) was damaged in the store (its files changed); evicted"
        case .changed(let diff): return diff.description
        case .upstreamWillRun(let t): return "needs '\(t)', which will run first"
        case .previousUnknown: return "key changed (no record of the previous build's manifest)"
        }
    }
}

/// A task's state in a plan: up to date (no reasons) or stale with every reason.
public struct Staleness: Equatable, Sendable {
    public var reasons: [StaleReason]
    public init(_ reasons: [StaleReason] = []) { self.reasons = reasons }
    public var isStale: Bool { !reasons.isEmpty }
    public static let upToDate = Staleness()
}

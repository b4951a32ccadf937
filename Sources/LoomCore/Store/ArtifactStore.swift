/// Where artifacts live on this machine: the working tier, whose artifacts are local directories
/// that tasks read. The executor stages, commits, checks and locates artifacts only through this
/// protocol (no downcasts); a shared cache (S3) is a `RemoteCache` behind it (`RemoteTier`),
/// consulted on a miss and filled after a commit.
public protocol ArtifactStore: AnyObject, Sendable {
    /// A fresh, empty directory for one task attempt's output (inside the store's file system).
    func makeStaging(label: String) throws -> String
    /// Moves a finished staging directory into the store by content and returns its digest.
    /// Identical files are stored once. After this returns, the staging directory is gone.
    func commit(staging: String) throws -> Digest
    /// Throws away a staging directory (a failed or cancelled attempt).
    func discard(staging: String)
    /// Whether the artifact is present.
    func contains(_ digest: Digest) -> Bool
    /// Whether the artifact can be served: present, and its files are the bytes its digest names
    /// (checked cheaply by its seal; re-hashed when the seal does not hold). With `repair`, a
    /// damaged artifact is evicted, with its damaged blobs.
    func condition(of digest: Digest, repair: Bool) -> ArtifactCondition
    /// The files of an artifact whose bytes differ from what its digest names.
    func damagedFiles(_ digest: Digest) -> [String]
    /// The artifact's listing and stat signature, recorded when it was committed.
    func seal(of digest: Digest) -> TreeSeal?
    /// Whether the artifact is present with every entry as the seal recorded it (no reading).
    func sealHolds(_ digest: Digest, _ entries: [TreeSeal.Entry]) -> Bool
    /// How many artifacts this store object has evicted so far (checks made before an eviction
    /// are made again after it).
    var evictions: Int { get }
    /// Points the DAG's `latest/<dag>/<task>` at an artifact.
    func updateLatest(dag: String, task: String, digest: Digest)
    /// A stamp that changes when any of the DAG's latest links is added, removed or replaced.
    func latestMembership(dag: String) -> StoreMembership?
    /// The same stamp for another directory of the store (`InputLinks`).
    func membership(of directory: String) -> StoreMembership?
    /// A local directory holding the artifact's files (read-only by convention).
    func location(of digest: Digest) -> String
    /// Makes these committed artifacts durable: after it returns, a power loss cannot take their
    /// files back. Key entries are recorded only after this (see `GroupCommit`).
    func sync(_ artifacts: [Digest]) throws
}

public enum ArtifactCondition: Equatable, Sendable { case intact, missing, damaged }

public struct StoreMembership: Equatable, Sendable {
    public var stamp: String
    /// When the membership last changed: seconds and nanoseconds since 1970, as the file system
    /// recorded it.
    public var changedAt: (seconds: Int, nanoseconds: Int)
    /// Whether any change after this stamp was taken will show in the next one, even within the
    /// clock's tick (`NoopMemo.changeTimesFineAfterQuery`); when false, only changes after the
    /// tick of `changedAt` are sure to.
    public var showsLaterChanges: Bool
    public init(stamp: String, changedAt: (seconds: Int, nanoseconds: Int), showsLaterChanges: Bool = false) {
        self.stamp = stamp
        self.changedAt = changedAt
        self.showsLaterChanges = showsLaterChanges
    }
    public static func == (a: Self, b: Self) -> Bool {
        a.stamp == b.stamp && a.changedAt == b.changedAt && a.showsLaterChanges == b.showsLaterChanges
    }
}

/// Key -> result, kept apart from the content store (llbuild's action cache vs CAS).
public protocol ActionCache: AnyObject, Sendable {
    func lookup(_ key: CacheKey) -> ActionEntry?
    /// Records a result; written atomically, after the artifact is committed and synced.
    func record(_ entry: ActionEntry) throws
}

/// One action-cache entry: the artifact a key produced and the manifest the key was made from.
public struct ActionEntry: Equatable, Sendable {
    public var key: CacheKey
    public var artifact: Digest
    public var manifest: KeyManifest
    public init(key: CacheKey, artifact: Digest, manifest: KeyManifest) {
        self.key = key
        self.artifact = artifact
        self.manifest = manifest
    }
}

extension ArtifactStore {
    public var evictions: Int { 0 }
    public func sealHolds(_ digest: Digest, _ entries: [TreeSeal.Entry]) -> Bool {
        TreeSeal(listing: "", entries: entries).firstDifference(in: location(of: digest)) == nil
    }
}

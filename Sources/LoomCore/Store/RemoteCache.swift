import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A shared tier behind the local store (an S3 bucket next; an in-memory fake in tests): file
/// contents by digest and key entries by key. Nothing it returns is trusted: `RemoteTier`
/// checks every blob against its digest, every entry against its key, and every artifact it
/// rebuilds against its digest, before the local store serves any of it.
public protocol RemoteCache: AnyObject, Sendable {
    /// The bytes stored for a key (nil: not there). Throws when the remote cannot be reached.
    func entry(_ key: CacheKey) throws -> [UInt8]?
    /// Stores a key's entry; called only once every blob it names is stored.
    func putEntry(_ key: CacheKey, _ bytes: [UInt8]) throws
    func hasBlob(_ digest: Digest) throws -> Bool
    /// Writes the blob's bytes to `path` (a new file); false if the remote has no such blob, or
    /// one of another size than `size` (the listing's: a lying remote cannot make Loom download
    /// more than the artifact holds).
    func blob(_ digest: Digest, size: Int64, to path: String) throws -> Bool
    func putBlob(_ digest: Digest, from path: String) throws
    /// Small objects a cluster job without a shared file system hands back to the submitting
    /// Loom (its outcome and log), by a name `RemoteCache.validJobObjectName` accepts.
    func putJobObject(_ name: String, _ bytes: [UInt8]) throws
    func jobObject(_ name: String) throws -> [UInt8]?
    func deleteJobObject(_ name: String) throws
}

extension RemoteCache {
    /// Letters, digits, `.`, `-`, `_`; at most 128 characters (never a path).
    public static func validJobObjectName(_ n: String) -> Bool {
        !n.isEmpty && n.count <= 128 && !n.hasPrefix(".") && n.unicodeScalars.allSatisfy {
            $0.isASCII && (("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
    }
}

/// What the remote holds for a key: the artifact's digest, its listing (from which the artifact
/// is rebuilt out of blobs) and the key's manifest.
///
/// Format "loom-remote-key 1", stable JSON: `{"artifact": hex, "format": ..., "listing": text,
/// "manifest": KeyManifest.json}`.
public struct RemoteEntry: Equatable, Sendable {
    public static let format = "loom-remote-key 1"
    public var artifact: Digest
    public var listing: TreeListing
    public var manifest: KeyManifest

    public func encoded() -> [UInt8] {
        Array(JSON.object(["format": .string(Self.format), "artifact": .string(artifact.hex),
                           "listing": .string(listing.text), "manifest": manifest.json]).encoded().utf8)
    }

    /// Nil unless the bytes are an entry for exactly `key` whose listing hashes to its artifact.
    public static func decode(_ bytes: [UInt8], key: CacheKey) -> RemoteEntry? {
        guard let j = try? JSON.parse(bytes), j["format"]?.string == format,
              let art = j["artifact"]?.string.flatMap(Digest.init(hex:)), let text = j["listing"]?.string,
              Digest(of: text) == art, let listing = TreeListing.parse(text), listing.text == text,
              let mj = j["manifest"], let m = KeyManifest(json: mj), m.key == key else { return nil }
        return RemoteEntry(artifact: art, listing: listing, manifest: m)
    }
}

/// The local store consulting a remote on a miss and filling it after a commit.
public final class RemoteTier: @unchecked Sendable {   // `problem` under `lock`
    public let local: LocalStore
    public let remote: RemoteCache
    private let lock = NSLock()
    private var problem: String?

    public init(local: LocalStore, remote: RemoteCache) {
        self.local = local
        self.remote = remote
    }

    /// The first failure to reach the remote, if any (the run goes on locally; one warning).
    public var unreachable: String? { lock.lock(); defer { lock.unlock() }; return problem }

    private func failed(_ e: Error) {
        lock.lock()
        if problem == nil { problem = "the remote cache cannot be reached (\(e)); going on without it" }
        lock.unlock()
    }

    /// Fetches the artifact a key names in the remote into the local store, verified, and
    /// records the key locally. Nil on a miss, a damaged remote entry, or an unreachable remote.
    public func pull(_ key: CacheKey) -> ActionEntry? {
        guard unreachable == nil else { return nil }
        do {
            guard let bytes = try remote.entry(key), let e = RemoteEntry.decode(bytes, key: key) else { return nil }
            let staging = try local.makeStaging(label: "remote")
            do {
                try materialize(e.listing, into: staging)
                let d = try local.commit(staging: staging)
                guard d == e.artifact else { return nil }   // cannot happen once every blob matched
                let entry = ActionEntry(key: key, artifact: d, manifest: e.manifest)
                try local.sync([d])
                try local.record(entry)
                return entry
            } catch {
                local.discard(staging: staging)
                throw error
            }
        } catch let e as RemoteDamage {
            Notices.add("the remote cache holds damaged data for key \(key.short) (\(e.what)); ignoring it")
            return nil
        } catch {
            failed(error)
            return nil
        }
    }

    struct RemoteDamage: Error { var what: String }

    /// Builds the artifact's tree in `dir` from blobs (local, or downloaded and checked).
    func materialize(_ listing: TreeListing, into dir: String) throws {
        for e in listing.entries {
            let path = dir + "/" + e.path
            switch e.kind {
            case .directory: try FileSystem.makeDirectories(path)
            case .link:
                try FileSystem.makeDirectories(FileSystem.parent(of: path))
                guard symlink(e.target ?? "", path) == 0 else { throw FileSystem.fail("cannot create link", path) }
            case .file, .executable:
                try FileSystem.makeDirectories(FileSystem.parent(of: path))
                guard let d = e.digest else { throw RemoteDamage(what: "a file without a digest") }
                let tmp = path + ".download"
                guard try remote.blob(d, size: e.size, to: tmp) else { throw RemoteDamage(what: "blob \(d.short) missing or of another size") }
                guard (try? FileHasher.digest(ofFile: tmp)) == d else {
                    unlink(tmp)
                    throw RemoteDamage(what: "blob \(d.short) does not match its digest")
                }
                chmod(tmp, e.kind == .executable ? 0o755 : 0o644)
                guard rename(tmp, path) == 0 else { throw FileSystem.fail("cannot place", path) }
            }
        }
    }

    /// How many blobs of one artifact go up at once (network-bound: more than the cores).
    public static let parallelUploads = 8

    /// Uploads an artifact (its blobs first, `parallelUploads` at a time, skipping those the
    /// remote has) and then its key entry, once every blob is there, so that no reader sees a key
    /// whose artifact is incomplete.
    public func push(_ entry: ActionEntry) {
        guard unreachable == nil else { return }
        guard let seal = local.seal(of: entry.artifact), let listing = TreeListing.parse(seal.listing) else { return }
        // One upload per distinct blob (two files with the same bytes are one blob).
        var seen = Set<Digest>()
        var blobs: [(Digest, String)] = []
        for e in listing.entries where e.kind == .file || e.kind == .executable {
            if let d = e.digest, seen.insert(d).inserted { blobs.append((d, local.location(of: entry.artifact) + "/" + e.path)) }
        }
        let firstError = Mutex<Error?>(nil)
        let gate = DispatchSemaphore(value: Self.parallelUploads)
        let group = DispatchGroup()
        for (d, path) in blobs {
            gate.wait()
            if firstError.withLock({ $0 != nil }) { gate.signal(); break }   // no new upload after a failure
            DispatchQueue.global().async(group: group) {
                defer { gate.signal() }
                do {
                    if try !self.remote.hasBlob(d) { try self.remote.putBlob(d, from: path) }
                } catch {
                    firstError.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        group.wait()
        if let e = firstError.withLock({ $0 }) { failed(e); return }
        do {
            try remote.putEntry(entry.key, RemoteEntry(artifact: entry.artifact, listing: listing, manifest: entry.manifest).encoded())
        } catch {
            failed(error)
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The store under `artifacts/` on the local disk: both the content-addressed artifacts and the
/// action cache.
///
/// Layout, version 1:
///   artifacts/blobs/ab/<sha256>[.x]   file contents by digest, read-only (`.x`: executable)
///   artifacts/trees/<sha256>/         each artifact as a directory of hard links to blobs
///   artifacts/keys/ab/<key>           action-cache entries (see `entryText`)
///   artifacts/state/<dag>.tsv         last build of each task of a DAG (`BuildState`)
///   artifacts/latest/<dag>/<task>     symbolic link to the task's latest artifact
///   artifacts/tmp/                    staging directories; leftovers are crash debris, safe to delete
///   artifacts/statcache, artifacts/lock
///
/// Commit order makes a crash harmless: files are hard-linked into blobs, the staging directory
/// is renamed into `trees/`, and only then is the key entry written (itself by atomic rename).
/// A crash leaves orphans in tmp/ or blobs/, never a key pointing at a half-written artifact.
public final class LocalStore: ArtifactStore, ActionCache, @unchecked Sendable {
    public let root: String
    public static let keyEntryHeader = "loom-key 1"

    /// `trees/`, held open so that existence checks walk one path component, not the whole root.
    private let treesFD: Int32

    public init(root: String) throws {
        self.root = root
        for d in ["blobs", "trees", "keys", "state", "latest", "tmp"] { try FileSystem.makeDirectories(root + "/" + d) }
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
        var files: [String] = []
        let listing = try TreeListing.scan(staging) { abs, rel, exec, _ in
            files.append(rel)
            return try self.absorb(abs, executable: exec)
        }
        let digest = listing.digest
        let dest = location(of: digest)
        if rename(staging, dest) != 0 {
            guard errno == EEXIST || errno == ENOTEMPTY else { throw FileSystem.fail("cannot move artifact into", dest) }
            if Self.sameFiles(staging, dest, files) {
                // Already present (same content committed before): keep the old one.
                FileSystem.removeTree(staging)
            } else {
                // Present but not made of the same blobs: a copy damaged by a crash before it
                // reached the disk. Put the new one in its place.
                let old = "\(root)/tmp/damaged.\(digest.hex).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
                guard rename(dest, old) == 0, rename(staging, dest) == 0 else { throw FileSystem.fail("cannot replace damaged artifact", dest) }
                FileSystem.removeTree(old)
            }
        }
        return digest
    }

    /// Whether every file of the staged artifact is the same inode (the same blob) in `dest`.
    private static func sameFiles(_ staging: String, _ dest: String, _ files: [String]) -> Bool {
        files.allSatisfy { rel in
            var a = stat(), b = stat()
            return lstat(staging + "/" + rel, &a) == 0 && lstat(dest + "/" + rel, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev
        }
    }

    /// Replaces a staged file by a hard link to its blob (creating the blob from it if new).
    private func absorb(_ path: String, executable: Bool) throws -> Digest {
        let d = try FileHasher.digest(ofFile: path)
        let dir = "\(root)/blobs/\(d.hex.prefix(2))"
        if access(dir, F_OK) != 0 { try FileSystem.makeDirectories(dir) }
        let blob = "\(dir)/\(d.hex)\(executable ? ".x" : "")"
        var mine = stat(), stored = stat()
        if stat(blob, &stored) == 0, stat(path, &mine) == 0, stored.st_size != mine.st_size {
            // A blob of the wrong size was cut short by a crash before it reached the disk: replace it.
            unlink(blob)
        }
        if access(blob, F_OK) == 0 {
            unlink(path)
            guard link(blob, path) == 0 else { throw FileSystem.fail("cannot link blob into", path) }
        } else {
            chmod(path, executable ? 0o555 : 0o444)
            if link(path, blob) != 0 {
                guard errno == EEXIST else { throw FileSystem.fail("cannot store blob", blob) }
                unlink(path)
                guard link(blob, path) == 0 else { throw FileSystem.fail("cannot link blob into", path) }
            }
        }
        return d
    }

    public func discard(staging: String) { FileSystem.removeTree(staging) }

    /// One `syncfs` of the store's file system: every committed file and rename reaches the disk.
    /// (Where `syncfs` is missing, `sync`, which flushes every file system.)
    public func sync() throws {
        guard treesFD >= 0 else { throw FileSystem.fail("cannot open", root + "/trees") }
        if let syncfs = Self.syncfs {
            guard syncfs(treesFD) == 0 else { throw FileSystem.fail("cannot sync", root) }
        } else {
            Glibc.sync()
        }
    }

    /// glibc's `syncfs` is a GNU extension the Swift Glibc module does not export; look it up.
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(f, to: (@convention(c) (Int32) -> Int32).self)
    }()

    public func contains(_ digest: Digest) -> Bool {
        treesFD >= 0 ? faccessat(treesFD, digest.hex, F_OK, 0) == 0 : access(location(of: digest), F_OK) == 0
    }

    /// `trees/` itself: adding or removing an artifact changes its ctime (which, unlike mtime,
    /// cannot be set back); replacing the directory changes its inode.
    public func membership() -> StoreMembership? {
        var st = stat()
        guard treesFD >= 0, fstat(treesFD, &st) == 0 else { return nil }
        return Self.stamp(st)
    }

    /// The same stamp for `latest/<dag>/`: it changes when a link there is added, removed or
    /// replaced (by Loom or by hand).
    public func latestMembership(dag: String) -> StoreMembership? {
        var st = stat()
        guard stat(latestDirectory(dag: dag), &st) == 0 else { return nil }
        return Self.stamp(st)
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

    /// Entry format, version 1: line 1 `loom-key 1`, line 2 `artifact <digest-hex>`, then the
    /// manifest as stable JSON (`KeyManifest.json`). The first two lines suffice for a lookup.
    static func entryText(_ e: ActionEntry) -> String {
        "\(keyEntryHeader)\nartifact \(e.artifact.hex)\n\(e.manifest.json.encoded(pretty: true))\n"
    }

    public func lookup(_ key: CacheKey) -> ActionEntry? {
        guard let text = try? FileSystem.readText(keyPath(key)) else { return nil }
        let parts = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.keyEntryHeader, parts[1].hasPrefix("artifact "),
              let d = Digest(hex: String(parts[1].dropFirst(9))),
              let json = try? JSON.parse(String(parts[2])), let m = KeyManifest(json: json) else { return nil }
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
        if symlink(target, tmp) == 0 { rename(tmp, link) }
    }
}

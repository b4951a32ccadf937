import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A task's `$LOOM_IN`: `artifacts/inputs/<dag>/<task>/<need>` -> the need's artifact. Kept
/// between runs and updated in place: a link is replaced (new link, then rename over the old one)
/// only when its artifact changed, and links of needs that are gone are removed. Tasks see it
/// read-only (it is inside the store).
public enum InputLinks {
    /// A task's links are remembered beside its directory (`.<task>.links` in the DAG's directory:
    /// task names never start with '.'), with the directory's stamp when they were made. When the
    /// stamp still holds (nothing added, removed or replaced a link since: each changes the
    /// directory's ctime, which cannot be set back), the links are known without reading them:
    /// a join of 1,000 tasks read 1,000 links on every rerun (1.8 ms of CPU).
    /// Only a task with this many needs or more has its links remembered: reading fewer costs less
    /// than the sidecar (its first write is a new inode, 0.3-0.4 ms on an ext4 without a journal,
    /// which every task of a cold chain paid; a link is read in 1-2 us).
    public static let rememberedFrom = 64

    /// Links `dir/<name>` to each need's artifact in `store` (`store.location(of:)`), remembering
    /// them beside `dir` for a task with `rememberedFrom` needs or more. The sidecar holds each
    /// need's name and artifact digest, not its link's target: a join of 1,000 tasks built,
    /// parsed, hashed and wrote 1,000 target paths on every rerun (0.8 ms of its start); the
    /// targets are the store's locations, checked through the location of one made-up digest.
    /// With `trash` (the store's `tmp/`), a replaced link is moved there and deleted later
    /// (`FileSystem.replace`), after the task has started.
    public static func update(_ dir: String, needs: [(name: String, digest: Digest)], store: ArtifactStore,
                              rememberedFrom: Int = rememberedFrom, trash: String? = nil) throws {
        func byReading() throws { try updateByReading(dir, needs.map { ($0.name, store.location(of: $0.digest)) }, trash: trash) }
        guard needs.count >= rememberedFrom else { return try byReading() }
        let remembered = sidecar(of: dir), base = store.location(of: probe)
        if let known = read(remembered, directory: dir, store: store, base: base) {
            var changed = false
            let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw FileSystem.fail("cannot open", dir) }
            defer { close(fd) }
            if known.count == needs.count && zip(known, needs).allSatisfy({ $0.0 == $1.name }) {
                // The usual case: the same needs in the same order; compared pairwise.
                for (k, need) in needs.enumerated() where known[k].1 != need.digest {
                    try replace(fd, dir, need.name, store.location(of: need.digest), trash: trash)
                    changed = true
                }
            } else {
                var have: [String: Digest] = [:]
                have.reserveCapacity(known.count)
                for (name, digest) in known { have[name] = digest }
                let wanted = Set(needs.map(\.name))
                for (name, _) in known where !wanted.contains(name) {
                    FileSystem.removeTree(dir + "/" + name)
                    changed = true
                }
                for need in needs where have[need.name] != need.digest {
                    try replace(fd, dir, need.name, store.location(of: need.digest), trash: trash)
                    changed = true
                }
            }
            if changed { remember(needs, in: remembered, directory: dir, store: store, base: base) }
            return
        }
        try byReading()
        remember(needs, in: remembered, directory: dir, store: store, base: base)
    }

    /// Links `dir/<name>` to each path, reading every link (a directory not in a store).
    public static func update(_ dir: String, _ links: [(name: String, path: String)]) throws {
        try updateByReading(dir, links, trash: nil)
    }

    static func sidecar(of dir: String) -> String {
        guard let slash = dir.lastIndex(of: "/") else { return "." + dir + ".links" }
        return String(dir[..<slash]) + "/." + String(dir[dir.index(after: slash)...]) + ".links"
    }

    private static let format = "loom-input-links 2"

    /// A digest no artifact has: its location shows where the store's locations are.
    private static let probe = Digest(bytes: [UInt8](repeating: 0, count: 32))

    /// The needs the sidecar remembers, in its order, if its stamp is the directory's now and
    /// the store's locations are where they were (`base`).
    private static func read(_ path: String, directory: String, store: ArtifactStore, base: String) -> [(String, Digest)]? {
        guard let payload = CacheFile.read(path, format: format, what: "input links"), var r = BinaryReader(payload, format: format),
              let stamp = r.string(), r.string() == base, let n = r.count(),
              let now = store.membership(of: directory), now.stamp == stamp else { return nil }
        var needs: [(String, Digest)] = []
        needs.reserveCapacity(n)
        for _ in 0..<n {
            guard let name = r.string(), let digest = r.digest() else { return nil }
            needs.append((name, digest))
        }
        return r.atEnd ? needs : nil
    }

    /// Records `needs` with the directory's stamp, if the stamp can be trusted (see
    /// `NoopMemo.trusted`); otherwise removes the sidecar, and the next update reads the links.
    private static func remember(_ needs: [(name: String, digest: Digest)], in path: String, directory: String, store: ArtifactStore, base: String) {
        let clock = NoopMemo.coarseClock()   // before the stamp: see NoopMemo
        guard let stamp = NoopMemo.trusted(store.membership(of: directory), clockBefore: clock) else {
            unlink(path)
            return
        }
        var w = BinaryWriter(format: format)
        w.string(stamp)
        w.string(base)
        w.int(needs.count)
        for (name, digest) in needs {
            w.string(name)
            w.digest(digest)
        }
        // Written in place, not renamed over (a new inode costs more than the write on ext4): a
        // torn write fails its checksum and reads as absent. Over the old bytes, then cut to
        // length, not truncated first: the same needs give the same length, and freeing the
        // file's blocks to write them again cost 0.1-0.3 ms on the bench machine's disk.
        let bytes = CacheFile.wrap(w.bytes, format: format)
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        let written = fd >= 0 && bytes.withUnsafeBufferPointer { FileSystem.writeAll(fd, $0) } && ftruncate(fd, off_t(bytes.count)) == 0
        if fd >= 0 { close(fd) }
        if !written { unlink(path) }
    }

    private static func replace(_ fd: Int32, _ dir: String, _ name: String, _ path: String, trash: String?) throws {
        let tmp = name + ".new"
        unlinkat(fd, tmp, 0)
        guard symlinkat(path, fd, tmp) == 0, FileSystem.replace(fd, tmp, fd, name, trash: trash) else {
            throw FileSystem.fail("cannot link input", dir + "/" + name)
        }
    }

    /// Reads every link and replaces those that are wrong; removes entries that are not wanted.
    static func updateByReading(_ dir: String, _ links: [(name: String, path: String)], trash: String?) throws {
        try FileSystem.makeDirectories(dir)
        let wanted = Set(links.map(\.name))
        for name in (try? FileSystem.listDirectory(dir)) ?? [] where !wanted.contains(name) { FileSystem.removeTree(dir + "/" + name) }
        // Links are read and written relative to the open directory, into one reused buffer per
        // chunk, compared as bytes: a join of 1,000 tasks reads 1,000 links on every rerun, which
        // took 8.6 ms of CPU with a full path, a 4 KiB array and a String per link.
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystem.fail("cannot open", dir) }
        defer { close(fd) }
        // Which links are already right: read in parallel chunks; the few that changed are
        // replaced after.
        let right = Slots<Bool>(count: links.count)
        let chunk = 128, chunks = (links.count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var buf = [UInt8](repeating: 0, count: 4096)
            for k in (c * chunk)..<min(links.count, (c + 1) * chunk) {
                let n = buf.withUnsafeMutableBytes { readlinkat(fd, links[k].name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
                right[k] = n >= 0 && n < buf.count && buf[0..<n].elementsEqual(links[k].path.utf8)
            }
        }
        for (k, (name, path)) in links.enumerated() where right[k] != true { try replace(fd, dir, name, path, trash: trash) }
    }
}

import Foundation
import Testing
@testable import LoomCore

/// An in-memory remote cache with fault injection: the seam the S3 remote will fill.
final class MemoryRemote: RemoteCache, @unchecked Sendable {   // state under `lock`
    let lock = NSLock()
    var entries: [CacheKey: [UInt8]] = [:]
    var blobs: [Digest: [UInt8]] = [:]
    var down = false
    var uploads = 0
    /// Refuse every blob upload after this many (a server that dies in the middle of a push).
    var failUploadsAfter = Int.max
    struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }
    func check() throws { if down { throw Refused() } }
    func entry(_ key: CacheKey) throws -> [UInt8]? { try check(); lock.lock(); defer { lock.unlock() }; return entries[key] }
    func putEntry(_ key: CacheKey, _ bytes: [UInt8]) throws { try check(); lock.lock(); entries[key] = bytes; lock.unlock() }
    func hasBlob(_ digest: Digest) throws -> Bool { try check(); lock.lock(); defer { lock.unlock() }; return blobs[digest] != nil }
    func blob(_ digest: Digest, size: Int64, to path: String) throws -> Bool {
        try check()
        lock.lock()
        let b = blobs[digest]
        lock.unlock()
        guard let b, b.count == size else { return false }
        try FileSystem.writeNew(path, b)
        return true
    }
    var objects: [String: [UInt8]] = [:]
    func putJobObject(_ name: String, _ bytes: [UInt8]) throws { try check(); lock.lock(); objects[name] = bytes; lock.unlock() }
    func jobObject(_ name: String) throws -> [UInt8]? { try check(); lock.lock(); defer { lock.unlock() }; return objects[name] }
    func deleteJobObject(_ name: String) throws { try check(); lock.lock(); objects[name] = nil; lock.unlock() }
    func putBlob(_ digest: Digest, from path: String) throws {
        try check()
        let b = try FileSystem.readBytes(path)
        lock.lock()
        if uploads >= failUploadsAfter { lock.unlock(); throw Refused() }
        blobs[digest] = b
        uploads += 1
        lock.unlock()
    }
}

@Suite struct RemoteTierTests {
    let yaml = """
    tasks:
      a: {kind: shell, cmd: 'make'}
      b: {kind: shell, cmd: 'use', needs: [a]}
    """

    func run(_ dir: TestDir, remote: MemoryRemote, runner: RecordingRunner = RecordingRunner()) throws -> (RunRecord, [String], Engine) {
        if !FileSystem.exists(dir.path + "/dags/t.yaml") { dir.write("dags/t.yaml", yaml) }
        var renderer = DiagnosticRenderer()
        let project = Project(root: dir.path)
        let graph = try project.loadGraph(dir.path + "/dags/t.yaml", registry: KindRegistry(), overrides: [], renderer: &renderer)
        let engine = try Engine(project: project, graph: graph, runner: runner)
        engine.remote = RemoteTier(local: try LocalStore(root: project.storeRoot), remote: remote)
        let warnings = Locked<[String]>([])
        engine.observer = { if case .warning(let w) = $0 { warnings.mutate { $0.append(w) } } }
        return (try engine.run(RunOptions()), warnings.value, engine)
    }

    /// A second machine with an empty store takes every artifact from the remote, byte for byte,
    /// and runs nothing.
    @Test func anotherMachineIsServedFromTheRemote() throws {
        let remote = MemoryRemote()
        let a = TestDir(), b = TestDir()
        defer { a.remove(); b.remove() }
        let (first, _, _) = try run(a, remote: remote)
        #expect(first.tasks.map(\.status) == [.ran, .ran])
        #expect(remote.entries.count == 2)
        let runner = RecordingRunner()
        let (second, warnings, _) = try run(b, remote: remote, runner: runner)
        #expect(runner.started.value.isEmpty)
        #expect(second.tasks.map(\.status) == [.cached, .cached])
        #expect(second.tasks.allSatisfy { $0.reasons.last == "served by the remote cache" })
        #expect(second.tasks.map(\.artifact) == first.tasks.map(\.artifact))
        #expect(warnings.isEmpty)
        let store = try LocalStore(root: b.path + "/artifacts")
        #expect(try FileSystem.readText(store.location(of: second.tasks[1].artifact!) + "/out.txt") == "b: /bin/sh -c use")
        #expect(store.verify(second.tasks[1].artifact!))
        // Pushing again uploads no blob twice.
        let before = remote.uploads
        _ = try run(a, remote: remote)
        #expect(remote.uploads == before)
    }

    /// Nothing from the remote is trusted: a blob whose bytes do not match its digest, an entry
    /// stored under another key, or a listing that would write outside the artifact is ignored
    /// and the task runs locally.
    @Test func damagedOrHostileRemoteDataIsNeverServed() throws {
        let remote = MemoryRemote()
        let a = TestDir()
        defer { a.remove() }
        let (first, _, _) = try run(a, remote: remote)
        // Same sizes, other bytes (another size is refused before downloading: S3RemoteTests).
        for d in Array(remote.blobs.keys) { remote.blobs[d] = remote.blobs[d]!.map { $0 ^ 0x01 } }
        let b = TestDir()
        defer { b.remove() }
        let runner = RecordingRunner()
        let (second, _, _) = try run(b, remote: remote, runner: runner)
        #expect(runner.started.value == ["a", "b"])
        #expect(second.tasks.map(\.artifact) == first.tasks.map(\.artifact))
        #expect(Notices.take().contains { $0.contains("does not match its digest") })

        // Entries swapped between keys: each names the other key's manifest.
        let keys = Array(remote.entries.keys)
        let swapped = MemoryRemote()
        swapped.blobs = [:]
        swapped.entries[keys[0]] = remote.entries[keys[1]]
        swapped.entries[keys[1]] = remote.entries[keys[0]]
        let c = TestDir()
        defer { c.remove() }
        let r3 = RecordingRunner()
        _ = try run(c, remote: swapped, runner: r3)
        #expect(r3.started.value == ["a", "b"])
    }

    @Test(arguments: [
        "loom-tree 1\nf \(Digest(of: "x").hex) 1 \"../x\"\n",
        "loom-tree 1\nf \(Digest(of: "x").hex) 1 \"/etc/x\"\n",
        "loom-tree 1\nl - 0 \"a\" -> \"/etc\"\nf \(Digest(of: "x").hex) 1 \"a/passwd\"\n",
        "loom-tree 1\nl - 0 \"a\" -> \".\"\nf \(Digest(of: "x").hex) 1 \"a/x\"\n",
        "loom-tree 1\nf \(Digest(of: "x").hex) 1 \"d/x\"\n",
        "loom-tree 1\nf \(Digest(of: "x").hex) -1 \"x\"\n",
        "loom-tree 1\nf \(Digest(of: "x").hex) 1 \"./x\"\n",
        "loom-tree 1\nf \(Digest(of: "x").hex) 1 \"b\"\nf \(Digest(of: "x").hex) 1 \"a\"\n",
        "loom-tree 1\nq - 0 \"x\"\n",
        "loom-tree 1\nf zz 1 \"x\"\n",
        "loom-tree 1\nf \(Digest(of: "x").hex) 1 \"x\"",
    ])
    func hostileListingsAreRefused(text: String) {
        #expect(TreeListing.parse(text) == nil)
    }

    /// Blobs go up in parallel, each distinct blob once; the key only after all of them, and
    /// not at all when an upload fails half way.
    @Test func blobsGoUpInParallelAndTheKeyLast() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        let staging = try store.makeStaging(label: "t")
        for k in 0..<40 { try FileSystem.writeAtomically(staging + "/f\(k)", "file \(k % 30)\n") }   // 30 distinct contents
        let digest = try store.commit(staging: staging)
        let m = KeyManifest(kind: "shell", kindVersion: 1, command: "x")
        let entry = ActionEntry(key: m.key, artifact: digest, manifest: m)
        try store.record(entry)

        let failing = MemoryRemote()
        failing.failUploadsAfter = 10
        let tier = RemoteTier(local: store, remote: failing)
        tier.push(entry)
        #expect(tier.unreachable != nil)
        #expect(failing.entries.isEmpty, "no key for an artifact whose blobs are not all there")
        #expect(failing.blobs.count <= 10 + RemoteTier.parallelUploads)

        let remote = MemoryRemote()
        let ok = RemoteTier(local: store, remote: remote)
        ok.push(entry)
        #expect(ok.unreachable == nil && remote.uploads == 30 && remote.entries[entry.key] != nil)
        ok.push(entry)
        #expect(remote.uploads == 30, "blobs the remote has are not uploaded again")
    }

    @Test func listingsRoundTrip() throws {
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("t/d/x.txt", "x")
        dir.write("t/y", "yy")
        symlink("d/x.txt", dir.path + "/t/l")
        let listing = try TreeListing.scan(dir.path + "/t") { abs, _, _, _ in try FileHasher.digest(ofFile: abs) }
        #expect(TreeListing.parse(listing.text) == listing || TreeListing.parse(listing.text)?.text == listing.text)
    }

    /// A remote that is down: one warning, and the run goes on locally.
    @Test func anUnreachableRemoteIsOneWarning() throws {
        let remote = MemoryRemote()
        remote.down = true
        let a = TestDir()
        defer { a.remove() }
        let (r, warnings, _) = try run(a, remote: remote)
        #expect(r.status == .succeeded && r.tasks.map(\.status) == [.ran, .ran])
        #expect(warnings == ["the remote cache cannot be reached (connection refused); going on without it"])
    }
}

import Foundation
import Testing
@testable import LoomCore
@testable import LoomRemote

/// The S3 remote against a real S3 server (SeaweedFS, started by `scripts/s3-server.sh`, which
/// these tests call: it installs and starts the server once, then answers at once). Each test
/// works under a prefix of its own in the test bucket.
enum S3TestServer {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The server's environment (`AWS_*`), after starting it if needed.
    static let environment: Result<[String: String], S3Error> = {
        let script = repo + "/scripts/s3-server.sh"
        func sh(_ args: [String]) -> (Int32, String) {
            // LoomCore's `Command` (posix_spawn, waitpid on the pid), not Foundation's `Process`,
            // whose `waitUntilExit` once waited for ever for a child that had exited.
            do {
                let r = try Command.run(["/bin/bash", script] + args)
                return (r.status, r.output + r.errors)
            } catch { return (-1, "\(error)") }
        }
        let (started, log) = sh(["start"])
        guard started == 0 else { return .failure(S3Error(message: "scripts/s3-server.sh start failed:\n\(log)")) }
        let (ok, text) = sh(["env"])
        guard ok == 0 else { return .failure(S3Error(message: "scripts/s3-server.sh env failed:\n\(text)")) }
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let kv = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            if kv.count == 2 { env[String(kv[0])] = String(kv[1]) }
        }
        return .success(env)
    }()

    static func client(secret: String? = nil, endpoint: String? = nil) throws -> S3Client {
        let env = try environment.get()
        var creds = try S3Location.credentials(environment: env)
        if let secret { creds.secretKey = secret }
        return try S3Client(bucket: env["LOOM_TEST_S3_BUCKET"] ?? "loom-test", region: env["AWS_REGION"] ?? "us-east-1",
                            endpoint: URL(string: endpoint ?? env["AWS_ENDPOINT_URL"]!)!, credentials: creds, timeout: .seconds(20))
    }

    static func remote() throws -> S3Remote { S3Remote(try client(), prefix: "tests/\(UUID().uuidString.lowercased())") }
}

@Suite(.serialized) struct S3RemoteTests {
    /// An artifact of a few files (one empty, one in a subdirectory) committed to `store`, with
    /// its key entry.
    func artifact(_ store: LocalStore, seed: String) throws -> ActionEntry {
        let staging = try store.makeStaging(label: "t")
        try FileSystem.writeAtomically(staging + "/a.txt", "alpha \(seed)\n")
        try FileSystem.writeAtomically(staging + "/empty", "")
        try FileSystem.makeDirectories(staging + "/sub")
        try FileSystem.writeAtomically(staging + "/sub/b.bin", (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let digest = try store.commit(staging: staging)
        let m = KeyManifest(kind: "shell", kindVersion: 1, params: [:], inputs: [:], files: [:], env: [:], outputs: [], command: "make \(seed)")
        let entry = ActionEntry(key: m.key, artifact: digest, manifest: m)
        try store.record(entry)
        return entry
    }

    func files(_ dir: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for rel in ["a.txt", "empty", "sub/b.bin"] { out[rel] = try FileSystem.readBytes(dir + "/" + rel) }
        return out
    }

    @Test func pushThenPullOnAnotherMachineGivesTheSameBytes() throws {
        let remote = try S3TestServer.remote()
        let a = TestDir(), b = TestDir()
        defer { a.remove(); b.remove() }
        let storeA = try LocalStore(root: a.path + "/artifacts"), storeB = try LocalStore(root: b.path + "/artifacts")
        let entry = try artifact(storeA, seed: "1")
        let tierA = RemoteTier(local: storeA, remote: remote)
        tierA.push(entry)
        #expect(tierA.unreachable == nil)
        let pulled = try #require(RemoteTier(local: storeB, remote: remote).pull(entry.key))
        #expect(pulled.artifact == entry.artifact)
        #expect(try files(storeB.location(of: pulled.artifact)) == files(storeA.location(of: entry.artifact)))
        #expect(storeB.lookup(entry.key)?.artifact == entry.artifact, "the key is recorded locally too")
        // A second push uploads no blob again (HEAD says the remote has each) and keeps the entry.
        tierA.push(entry)
        #expect(try remote.entry(entry.key) != nil)
    }

    /// A blob replaced in the bucket by other bytes is detected by its digest and never used.
    @Test func aCorruptedRemoteBlobIsDetectedAndNotUsed() throws {
        let remote = try S3TestServer.remote()
        let a = TestDir(), c = TestDir()
        defer { a.remove(); c.remove() }
        let storeA = try LocalStore(root: a.path + "/artifacts")
        let entry = try artifact(storeA, seed: "2")
        RemoteTier(local: storeA, remote: remote).push(entry)
        let blob = try FileHasher.digest(ofFile: storeA.location(of: entry.artifact) + "/a.txt")
        try remote.s3.put(remote.blobKey(blob), Array("alpha X\n".utf8))
        _ = Notices.take()
        let storeC = try LocalStore(root: c.path + "/artifacts")
        #expect(RemoteTier(local: storeC, remote: remote).pull(entry.key) == nil)
        #expect(Notices.take().contains { $0.contains("does not match its digest") })
        #expect(!storeC.contains(entry.artifact) && storeC.lookup(entry.key) == nil)
        #expect(try FileSystem.listDirectory(c.path + "/artifacts/tmp").isEmpty, "no half-built artifact left behind")
        // Replaced by something larger than the listing says: not even downloaded.
        try remote.s3.put(remote.blobKey(blob), [UInt8](repeating: 0x41, count: 3 << 20))
        #expect(RemoteTier(local: storeC, remote: remote).pull(entry.key) == nil)
        #expect(Notices.take().contains { $0.contains("missing or of another size") })
    }

    /// An entry whose manifest is for another key (a hostile or mixed-up bucket) is refused.
    @Test func anEntryForAnotherKeyIsRefused() throws {
        let remote = try S3TestServer.remote()
        let a = TestDir()
        defer { a.remove() }
        let store = try LocalStore(root: a.path + "/artifacts")
        let one = try artifact(store, seed: "3"), two = try artifact(store, seed: "4")
        let tier = RemoteTier(local: store, remote: remote)
        tier.push(one)
        try remote.s3.put(remote.entryKey(two.key), try #require(try remote.entry(one.key)))
        let other = TestDir()
        defer { other.remove() }
        #expect(RemoteTier(local: try LocalStore(root: other.path + "/artifacts"), remote: remote).pull(two.key) == nil)
    }

    @Test func wrongCredentialsAreAClearError() throws {
        let s3 = try S3TestServer.client(secret: "not-the-secret")
        do {
            _ = try s3.get("tests/anything")
            Issue.record("a wrong secret was accepted")
        } catch let e as S3Error {
            #expect(e.status == 403 && e.message.contains("SignatureDoesNotMatch"), "\(e)")
        }
    }

    /// Nothing listens: the call fails after its retries, and a tier reports it once.
    @Test func aServerThatIsDownIsOneWarning() throws {
        let s3 = try S3TestServer.client(endpoint: "http://127.0.0.1:9")
        let t0 = Date()
        #expect(throws: S3Error.self) { _ = try s3.get("x") }
        #expect(Date().timeIntervalSince(t0) < 10)
        let a = TestDir()
        defer { a.remove() }
        let store = try LocalStore(root: a.path + "/artifacts")
        let tier = RemoteTier(local: store, remote: S3Remote(s3, prefix: "p"))
        #expect(tier.pull(CacheKey(Digest(of: "k"))) == nil)
        #expect(tier.unreachable?.contains("cannot be reached") == true)
    }

    /// Two machines pushing the same key at once both succeed; the first entry stays.
    @Test func concurrentPushesOfOneKeyBothSucceed() throws {
        let remote = try S3TestServer.remote()
        let key = CacheKey(Digest(of: "same key"))
        let errors = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do { try remote.putEntry(key, Array("entry \(i)".utf8)) } catch { errors.mutate { $0.append("\(error)") } }
        }
        #expect(errors.value.isEmpty)
        let stored = try #require(try remote.entry(key))
        #expect(stored == Array("entry 0".utf8) || stored == Array("entry 1".utf8))
        try remote.putEntry(key, Array("entry 2".utf8))
        #expect(try remote.entry(key) == stored, "If-None-Match: an existing entry is never replaced")
    }

    /// A server killed (SIGKILL) in the middle of a push leaves no key entry: the key goes up
    /// only after every blob. After a restart the same push completes and the key appears.
    @Test func aServerKilledDuringAPushLeavesNoKey() throws {
        let env = try S3TestServer.environment.get()
        let dir = TestDir()
        defer { dir.remove() }
        // A server of this test's own, on a port of its own (killing it harms no other test).
        let port = Int.random(in: 8500..<9000)
        func script(_ command: String) -> Int32 {
            // system(3): the script starts weed detached; Foundation's Process waited forever here.
            system("LOOM_S3_PORT=\(port) LOOM_S3_DIR='\(dir.path)/s3' bash '\(S3TestServer.repo)/scripts/s3-server.sh' \(command) >'\(dir.path)/script.log' 2>&1")
        }
        try #require(script("start") == 0, "could not start a second S3 server on port \(port): \((try? FileSystem.readText(dir.path + "/script.log")) ?? "")")
        defer { _ = script("stop") }
        let creds = try S3Location.credentials(environment: env)
        let s3 = try S3Client(bucket: env["LOOM_TEST_S3_BUCKET"] ?? "loom-test", region: "us-east-1",
                              endpoint: URL(string: "http://127.0.0.1:\(port)")!, credentials: creds, timeout: .seconds(20))
        let remote = S3Remote(s3, prefix: "killed/\(UUID().uuidString.lowercased())")
        let store = try LocalStore(root: dir.path + "/artifacts")
        let staging = try store.makeStaging(label: "big")
        // 100 files of 1 MiB, all different: 100 uploads, then the key.
        for k in 0..<100 {
            try FileSystem.writeAtomically(staging + "/f\(k)", [UInt8](repeating: UInt8(k % 256), count: 1 << 20) + [UInt8(k / 256)])
        }
        let digest = try store.commit(staging: staging)
        let m = KeyManifest(kind: "shell", kindVersion: 1, command: "big")
        let entry = ActionEntry(key: m.key, artifact: digest, manifest: m)
        try store.record(entry)
        let tier = RemoteTier(local: store, remote: remote)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { tier.push(entry); done.signal() }
        Thread.sleep(forTimeInterval: 0.3)
        let pid = try FileSystem.readText(dir.path + "/s3/weed.pid").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(kill(pid_t(pid) ?? 0, SIGKILL) == 0)
        #expect(done.wait(timeout: .now() + 60) == .success, "the push gave up")
        #expect(tier.unreachable != nil, "the push saw the server go")
        try #require(script("start") == 0, "could not restart the second S3 server")
        // The script returns once the server answers; under load its S3 port has still refused a
        // first connection now and then. Ask until it answers (10 s at most): what is tested is the
        // answer, not how fast the restarted server starts.
        var seen: [UInt8]?
        var answered = false
        for _ in 0..<50 where !answered {
            do { seen = try remote.entry(entry.key); answered = true } catch { usleep(200_000) }
        }
        #expect(answered, "the restarted server never answered")
        #expect(seen == nil, "no key entry for an artifact whose blobs may be missing")
        // Pushed again to a live server, the artifact arrives whole and the key appears.
        let again = RemoteTier(local: store, remote: remote)
        again.push(entry)
        #expect(again.unreachable == nil)
        let other = TestDir()
        defer { other.remove() }
        #expect(RemoteTier(local: try LocalStore(root: other.path + "/artifacts"), remote: remote).pull(entry.key)?.artifact == digest)
    }

    /// Above the multipart size a file goes up in parts and comes back whole.
    @Test func multipartUploadRoundTrip() throws {
        let remote = try S3TestServer.remote()
        let dir = TestDir()
        defer { dir.remove() }
        var bytes = [UInt8](repeating: 0, count: 11 << 20)
        var x: UInt64 = 42
        for i in bytes.indices { x = x &* 6364136223846793005 &+ 1442695040888963407; bytes[i] = UInt8(truncatingIfNeeded: x >> 33) }
        try FileSystem.writeAtomically(dir.path + "/big", bytes)
        let d = try FileHasher.digest(ofFile: dir.path + "/big")
        try remote.s3.upload(remote.blobKey(d), from: dir.path + "/big", sha256: d.hex, multipartAbove: 1 << 20, partSize: 5 << 20)
        #expect(try !remote.blob(d, size: Int64(bytes.count) - 1, to: dir.path + "/short"), "another size than the listing says")
        #expect(!FileSystem.exists(dir.path + "/short"))
        #expect(try remote.blob(d, size: Int64(bytes.count), to: dir.path + "/back"))
        #expect(try FileHasher.digest(ofFile: dir.path + "/back") == d)
        #expect(try !remote.blob(Digest(of: "absent"), size: 1, to: dir.path + "/none"))
        #expect(!FileSystem.exists(dir.path + "/none"))
    }
}

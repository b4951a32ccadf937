import Foundation
import Synchronization
import Testing
@testable import LoomCore

/// The no-op memo (`NoopMemo`) lets a run take keys and artifacts from the build state instead of
/// recomputing them. Whatever it decides must be what the full path decides.
@Suite struct NoopMemoTests {
    let yaml = """
    params: {n: 1}
    tasks:
      a: {kind: shell, cmd: 'make {{params.n}}', files: [data/in.csv]}
      b: {kind: shell, cmd: 'use', needs: [a]}
      c: {kind: shell, cmd: 'score', needs: [b]}
      d: {kind: shell, cmd: 'other'}
    """

    /// Like `RecordingRunner`, and task `c` also writes metrics.
    final class MetricsRunner: TaskRunner, @unchecked Sendable {
        let inner = RecordingRunner()
        func start(_ job: Job, onExit: @escaping @Sendable (JobOutcome) -> Void) -> RunningJob {
            if job.task.name == "c", let out = job.environment["LOOM_OUT"] {
                try? FileSystem.writeAtomically(out + "/metrics.json", #"{"auc": 0.75, "detail": {"n": 3}}"#)
            }
            return inner.start(job, onExit: onExit)
        }
        var started: [String] { inner.started.value }
    }

    func engine(_ dir: TestDir, n: String = "1", runner: TaskRunner = MetricsRunner()) throws -> Engine {
        if !FileSystem.exists(dir.path + "/dags/t.yaml") {
            dir.write("dags/t.yaml", yaml)
            dir.write("data/in.csv", "x\n1\n")
        }
        var renderer = DiagnosticRenderer()
        let project = Project(root: dir.path)
        let graph = try project.loadGraph(dir.path + "/dags/t.yaml", registry: KindRegistry(), overrides: [("n", n)], renderer: &renderer)
        return try Engine(project: project, graph: graph, runner: runner)
    }

    func memoPath(_ dir: TestDir) -> String { NoopMemo.path(storeRoot: dir.path + "/artifacts", dag: "t") }

    /// Everything a record says about its tasks but times.
    func summary(_ tasks: [TaskReport]) -> [String] {
        tasks.map { t in
            "\(t.name) \(t.status) \(t.key?.hex ?? "-") \(t.artifact?.hex ?? "-") \(t.reasons) \(t.metrics.sorted { $0.key < $1.key })"
        }
    }

    /// A run the memo proves a no-op writes its record once, at its end: no directory while its
    /// tasks are taken from the memo, then the same record, report and index line as any run. A
    /// run with a task to start records itself as running first, as before.
    @Test func noOpRunIsRecordedOnlyAtItsEnd() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let project = Project(root: dir.path)
        let first = try engine(dir).run(RunOptions())
        #expect(first.status == .succeeded)
        let seen = Mutex<[[RunID]]>([])
        let noop = try engine(dir)
        noop.observer = { event in
            // Proved together: one event for the four (one write of their lines).
            if case let .allCached(rs) = event { seen.withLock { $0.append(contentsOf: rs.map { _ in project.runs.ids() }) } }
            if case .finished = event { seen.withLock { $0.append([]) } }
        }
        let r = try noop.run(RunOptions())
        #expect(r.status == .succeeded && noop.memoHits == 4 && r.tasks.allSatisfy { $0.status == .cached })
        #expect(seen.withLock { $0 }.count == 4 && seen.withLock { $0 }.allSatisfy { $0 == [first.id] }, "no record while the tasks were proved")
        #expect(project.runs.ids() == [first.id, r.id])
        let saved = try project.runs.load(r.id)
        #expect(saved.status == .succeeded && saved.tasks.count == 4)
        #expect(FileSystem.exists(project.runs.directory(r.id) + "/report.html"))
        #expect(RunQuery(store: project.runs).all().map(\.id) .contains(r.id))
        // A param change: a task to start, so the record exists (running) before it starts.
        let during = Mutex<[RunID]>([])
        let changed = try engine(dir, n: "2")
        changed.observer = { event in
            if case .started = event { during.withLock { $0 = project.runs.ids() } }
        }
        let r3 = try changed.run(RunOptions())
        #expect(r3.status == .succeeded && during.withLock { $0 }.contains(r3.id))
    }

    @Test func memoDecidesWhatTheFullPathDecides() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let cold = try engine(dir)
        let r1 = try cold.run(RunOptions())
        #expect(r1.status == .succeeded && cold.memoHits == 0)
        #expect(FileSystem.exists(memoPath(dir)), "a fully successful run leaves a memo")

        let memoRunner = MetricsRunner()
        let withMemo = try engine(dir, runner: memoRunner)
        let statusWithMemo = try withMemo.status()
        let r2 = try withMemo.run(RunOptions())
        #expect(withMemo.memoHits == 4 && memoRunner.started.isEmpty)
        #expect(r2.tasks.first { $0.name == "c" }?.metrics == ["auc": 0.75, "detail.n": 3])

        unlink(memoPath(dir))
        let full = try engine(dir)
        let statusFull = try full.status()
        let r3 = try full.run(RunOptions())
        #expect(full.memoHits == 0)
        #expect(summary(r2.tasks) == summary(r3.tasks))
        #expect(summary(statusWithMemo) == summary(statusFull))
        #expect(statusWithMemo.allSatisfy { $0.status == .upToDate })
    }

    @Test func aChangedFileOrParamBypassesTheMemo() throws {
        let dir = TestDir()
        defer { dir.remove() }
        _ = try engine(dir).run(RunOptions())
        dir.write("data/in.csv", "x\n2\n")
        let runner = MetricsRunner()
        let e = try engine(dir, runner: runner)
        let r = try e.run(RunOptions())
        #expect(e.memoHits == 3, "only a's declared file changed; b is given the same artifact of a")
        #expect(runner.started == ["a"], "a's output is the same bytes, so b and c stay cached")
        #expect(r.tasks[0].reasons == ["file data/in.csv changed"])

        let p = MetricsRunner()
        let e2 = try engine(dir, n: "2", runner: p)
        #expect(try e2.status().map(\.status) == [.stale, .stale, .stale, .upToDate])
        _ = try e2.run(RunOptions())
        #expect(e2.memoHits == 0 && p.started == ["a", "b"], "a writes other bytes; b the same ones, so c stays cached")
    }

    @Test func forcedTasksAndOtherTargetsAreNotTakenFromTheMemo() throws {
        let dir = TestDir()
        defer { dir.remove() }
        _ = try engine(dir).run(RunOptions())
        var forced = RunOptions()
        forced.forced = ["b"]
        let runner = MetricsRunner()
        let e = try engine(dir, runner: runner)
        let r = try e.run(forced)
        #expect(e.memoHits == 3 && runner.started == ["b"])
        #expect(r.tasks.map(\.status) == [.cached, .ran, .cached, .cached])
        #expect(r.tasks[1].reasons == ["forced"])

        var targets = RunOptions()
        targets.targets = ["b"]
        let t = try engine(dir)
        let rt = try t.run(targets)
        #expect(t.memoHits == 2, "entries are per task: any targets use them")
        #expect(rt.tasks.map(\.name) == ["a", "b"] && rt.tasks.allSatisfy { $0.status == .cached })
        let all = try engine(dir)
        #expect(try all.run(RunOptions()).tasks.allSatisfy { $0.status == .cached })
        #expect(all.memoHits == 4, "entries of tasks a targeted run left out are kept")
    }

    /// The memo checks each artifact's seal: removing an artifact, or changing one of its files,
    /// sends the task the full way (which explains, evicts damage and reruns it).
    @Test func aRemovedOrDamagedArtifactIsNoticedThroughItsSeal() throws {
        let dir = TestDir()
        defer { dir.remove() }
        _ = try engine(dir).run(RunOptions())
        let second = try engine(dir)
        let r2 = try second.run(RunOptions())
        #expect(second.memoHits == 4 && r2.tasks.allSatisfy { $0.status == .cached })
        #expect(NoopMemo.load(memoPath(dir))?.entries.count == 4)

        let store = try LocalStore(root: dir.path + "/artifacts")
        FileSystem.removeTree(store.location(of: try #require(r2.tasks[1].artifact)))
        let runner = MetricsRunner()
        let third = try engine(dir, runner: runner)
        let r3 = try third.run(RunOptions())
        #expect(third.memoHits == 3, "a, d, and c (given the same bytes of b)")
        #expect(runner.started == ["b"])
        #expect(r3.tasks[1].reasons.first?.hasPrefix("artifact") == true)
        #expect(r3.tasks.map(\.status) == [.cached, .ran, .cached, .cached], "b's output has the same bytes: c stays cached")

        // One byte changed in place in a stored file: the seal no longer holds.
        let art = try #require(r3.tasks[1].artifact)
        let file = try #require(try FileSystem.listDirectory(store.location(of: art)).first)
        let fd = open(store.location(of: art) + "/" + file, O_WRONLY)
        _ = "Z".withCString { pwrite(fd, $0, 1, 0) }
        close(fd)
        let again = MetricsRunner()
        let fourth = try engine(dir, runner: again)
        let r4 = try fourth.run(RunOptions())
        #expect(again.started == ["b"])
        #expect(r4.tasks[1].reasons.first?.contains("damaged") == true)
    }

    /// An entry holds only while the build state records its key and artifact: a state written
    /// by someone else (another Loom build, a hand edit) sends the task the full way.
    @Test func anEntryTheStateDisagreesWithIsNotUsed() throws {
        let dir = TestDir()
        defer { dir.remove() }
        _ = try engine(dir).run(RunOptions())
        let statePath = BuildState.path(storeRoot: dir.path + "/artifacts", dag: "t")
        var state = BuildState.parse(try FileSystem.readBytes(statePath), path: statePath)
        let real = try #require(state.tasks["b"])
        state.tasks["b"] = BuildState.Record(key: CacheKey(Digest(of: "other")), artifact: real.artifact)
        try FileSystem.writeAtomically(statePath, state.encoded())
        let runner = MetricsRunner()
        let e = try engine(dir, runner: runner)
        let r = try e.run(RunOptions())
        #expect(e.memoHits == 3 && runner.started.isEmpty, "b goes the full way, finds its artifact by its key")
        #expect(r.tasks[1].status == .cached && r.tasks[1].key == real.key)
    }

    /// A changed declared file affects only the tasks that read it and what they feed: in a wide
    /// DAG every other task is still taken from the memo (issue 10: one input changed).
    @Test func oneChangedInputLeavesTheOtherEntriesInUse() throws {
        let dir = TestDir()
        defer { dir.remove() }
        var yaml = "params: {n: 1}\ntasks:\n"
        for k in 0..<20 {
            dir.write("in/i\(k).txt", "\(k)\n")
            yaml += "  t\(k): {kind: shell, cmd: 'cp in/i\(k).txt $LOOM_OUT/', files: [in/i\(k).txt]}\n"
        }
        yaml += "  all: {kind: shell, cmd: 'cat', needs: [" + (0..<20).map { "t\($0)" }.joined(separator: ", ") + "]}\n"
        dir.write("dags/t.yaml", yaml)
        _ = try engine(dir, runner: ProcessRunner()).run(RunOptions())
        dir.write("in/i7.txt", "seven\n")
        let e = try engine(dir, runner: ProcessRunner())
        let r = try e.run(RunOptions())
        #expect(e.memoHits == 19)
        #expect(r.tasks.filter { $0.status == .ran }.map(\.name) == ["t7", "all"])
        // The run moved two latest links just before its end, and still recorded a trusted stamp
        // of them (it waited for the clock's next tick, or the file system has multigrain
        // timestamps): the next run reads no latest link.
        let memo = try #require(NoopMemo.load(memoPath(dir)))
        let store = try LocalStore(root: dir.path + "/artifacts")
        #expect(memo.links != nil && memo.links == store.latestMembership(dag: "t")?.stamp)
        let again = try engine(dir, runner: ProcessRunner())
        _ = try again.run(RunOptions())
        #expect(again.memoHits == 21, "the rerun tasks' entries were renewed")
    }

    /// A stamp is trusted only once the clock, read before taking it, is past its change time;
    /// whole-second file-system times need two seconds.
    @Test func membershipIsTrustedOnlyAfterTheClockMovedOn() {
        let m = StoreMembership(stamp: "s", changedAt: (100, 500))
        #expect(NoopMemo.trusted(m, clockBefore: (100, 499)) == nil)
        #expect(NoopMemo.trusted(m, clockBefore: (100, 500)) == nil, "same tick: a later change could carry the same time")
        #expect(NoopMemo.trusted(m, clockBefore: (100, 501)) == "s")
        #expect(NoopMemo.trusted(m, clockBefore: (101, 0)) == "s")
        let coarse = StoreMembership(stamp: "c", changedAt: (100, 0))
        #expect(NoopMemo.trusted(coarse, clockBefore: (101, 999_999_999)) == nil)
        #expect(NoopMemo.trusted(coarse, clockBefore: (102, 0)) == "c")
        #expect(NoopMemo.trusted(nil, clockBefore: (200, 0)) == nil)
        let fine = StoreMembership(stamp: "f", changedAt: (100, 500), showsLaterChanges: true)
        #expect(NoopMemo.trusted(fine, clockBefore: (100, 500)) == "f", "multigrain: a later change shows even in this tick")
    }

    /// The probe for multigrain change times agrees with what the file system does: when it says
    /// yes, every change made right after a `stat` (in the same tick or not) moves the change time;
    /// when it says no, it has seen a change that did not. It refuses what it cannot trust.
    @Test func changeTimesProbeAgreesWithTheFileSystem() throws {
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("d/x", "")
        let d = dir.path + "/d"
        // A probe file last changed ticks ago, as a store's is on every run but its first: the
        // probe once said no then, on any file system.
        dir.write("probe", "")
        usleep(30_000)
        let fine = NoopMemo.changeTimesFineAfterQuery(directory: d, probe: dir.path + "/probe")
        usleep(30_000)
        #expect(NoopMemo.changeTimesFineAfterQuery(directory: d, probe: dir.path + "/probe") == fine)
        var unchanged = 0
        for k in 0..<300 {
            var a = stat(), b = stat()
            #expect(stat(d, &a) == 0)
            #expect(symlink("x", d + "/l\(k)") == 0)
            #expect(stat(d, &b) == 0)
            if a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec { unchanged += 1 }
        }
        if fine { #expect(unchanged == 0, "the probe said every later change shows") }
        // And the other way: a no is only said where a change right after a stat can keep its
        // time (300 changes take several ticks' worth; some land two in one tick).
        if !fine { #expect(unchanged > 0, "the probe said no, but every change showed") }
        // Hostile probes: a symlink is not followed, a missing directory or a probe on another
        // file system than the directory's is a no.
        #expect(symlink(dir.path + "/probe", dir.path + "/link") == 0)
        #expect(!NoopMemo.changeTimesFineAfterQuery(directory: d, probe: dir.path + "/link"))
        #expect(!NoopMemo.changeTimesFineAfterQuery(directory: dir.path + "/missing", probe: dir.path + "/probe"))
        if FileSystem.exists("/proc/self") {
            #expect(!NoopMemo.changeTimesFineAfterQuery(directory: "/proc/self", probe: dir.path + "/probe"))
        }
    }

    /// The prelude's seal checks, chunks taken by several threads at once, give what checking
    /// each seal in turn gives: 100 artifacts, every seventh damaged (a file rewritten in place).
    @Test func sealChecksSharedByThreadsAgreeWithOneByOne() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let store = try LocalStore(root: dir.path + "/artifacts")
        var entries: [Int: NoopMemo.Entry] = [:]
        for i in 0..<100 {
            let staging = try store.makeStaging(label: "t\(i)")
            try FileSystem.writeAtomically(staging + "/o", "\(i)\n")
            let d = try store.commit(staging: staging)
            let seal = try #require(store.seal(of: d))
            entries[i * 3] = NoopMemo.Entry(given: Digest(of: "\(i)"), key: CacheKey(Digest(of: "k\(i)")), metrics: [:],
                                            seal: NoopMemo.Seal(digest: d, entries: seal.entries))
        }
        for (i, e) in entries where i % 7 == 0 {
            let file = store.location(of: e.seal.digest) + "/o"
            chmod(file, 0o644)
            try FileSystem.writeAtomically(file, "damaged")
        }
        let memo = NoopMemo(graph: Digest(of: "g"), entries: entries)
        let expected = entries.mapValues { $0.seal.holds(in: store) }
        #expect(expected.values.contains(false) && expected.values.contains(true))
        let checks = SealChecks(memo: memo, store: store)
        DispatchQueue.concurrentPerform(iterations: 3) { _ in checks.work() }
        #expect(checks.results() == expected)
    }

    /// The memo's node indices in ascending order, as `sorted()` gives them: seeded random sets,
    /// dense and sparse, with a key too large or negative for the table (the sorted fallback).
    @Test func ascendingIndicesAreSorted() {
        var rng = DifferentialTests.Rand(state: 4_12_2026)
        let e = NoopMemo.Entry(given: Digest(of: "g"), key: CacheKey(Digest(of: "k")), metrics: [:],
                               seal: .init(digest: Digest(of: "a"), entries: []))
        for round in 0..<200 {
            var entries: [Int: NoopMemo.Entry] = [:]
            let n = rng.int(300), spread = [1, 2, 5, 40][round % 4]
            for _ in 0..<n { entries[rng.int(n * spread + 1)] = e }
            if round % 10 == 3 { entries[1 << 40] = e }
            if round % 10 == 7 { entries[-5] = e }
            #expect(NoopMemo.ascending(entries.keys) == entries.keys.sorted(), "round \(round)")
        }
    }

    @Test func memoFileRoundTripAndDamage() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let m = NoopMemo(graph: Digest(of: "g"), links: "1:2:3.4", entries: [
            0: .init(given: Digest(of: "0"), key: CacheKey(Digest(of: "k0")), metrics: [:],
                     seal: .init(digest: Digest(of: "a"), entries: [.init(path: "", inode: 7, size: 4096, mtimeNs: -1)])),
            3: .init(given: Digest(of: "3"), key: CacheKey(Digest(of: "k3")), metrics: ["auc": 0.5, "b": -1e-300],
                     seal: .init(digest: Digest(of: "b"), entries: []))])
        try m.save(dir.path + "/m")
        #expect(NoopMemo.load(dir.path + "/m") == m)
        let bytes = try FileSystem.readBytes(dir.path + "/m")
        for cut in [0, 5, bytes.count / 2, bytes.count - 1] {
            try FileSystem.writeAtomically(dir.path + "/m", Array(bytes.prefix(cut)))
            #expect(NoopMemo.load(dir.path + "/m") == nil)
        }
        try FileSystem.writeAtomically(dir.path + "/m", bytes + [0])
        #expect(NoopMemo.load(dir.path + "/m") == nil, "trailing bytes")
        // Issue 10, hole 6: any one bit flipped anywhere makes the memo unreadable (checksum).
        for i in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            var b = bytes
            b[i] ^= 0x04
            try FileSystem.writeAtomically(dir.path + "/m", b)
            #expect(NoopMemo.load(dir.path + "/m") == nil, "bit flipped at \(i)")
        }
    }
}

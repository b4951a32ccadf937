import Foundation
import Testing
@testable import LoomCore

/// A runner that runs nothing: it records each job and writes `out.txt` (the task's name plus its
/// command) into $LOOM_OUT, failing the tasks it is told to fail.
final class RecordingRunner: TaskRunner, @unchecked Sendable {
    let started = Locked<[String]>([])
    var failing: Set<String> = []

    final class Handle: RunningJob, @unchecked Sendable { func cancel() {} }

    func start(_ job: Job, onExit: @escaping @Sendable (JobOutcome) -> Void) -> RunningJob {
        started.mutate { $0.append(job.task.name) }
        let out = job.environment["LOOM_OUT"] ?? "/nonexistent"
        try? FileSystem.writeAtomically(out + "/out.txt", job.task.name + ": " + job.arguments.joined(separator: " "))
        let fail = failing.contains(job.task.name)
        DispatchQueue.global().async { onExit(fail ? .exited(2) : .succeeded) }
        return Handle()
    }
}

@Suite struct EngineTests {
    let yaml = """
    params: {n: 1}
    tasks:
      a: {kind: shell, cmd: 'make {{params.n}}'}
      b: {kind: shell, cmd: 'use', needs: [a]}
      c: {kind: shell, cmd: 'other'}
    """

    func engine(_ dir: TestDir, n: String = "1", runner: RecordingRunner) throws -> Engine {
        dir.write("dags/t.yaml", yaml)
        var renderer = DiagnosticRenderer()
        let project = Project(root: dir.path)
        let graph = try project.loadGraph(dir.path + "/dags/t.yaml", registry: KindRegistry(), overrides: [("n", n)], renderer: &renderer)
        return try Engine(project: project, graph: graph, runner: runner)
    }

    @Test func cachesAndExplains() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let first = RecordingRunner()
        let r1 = try engine(dir, runner: first).run(RunOptions())
        #expect(r1.status == .succeeded)
        #expect(first.started.value == ["a", "b", "c"])
        #expect(r1.tasks.map(\.reasons) == [["never run"], ["never run"], ["never run"]])

        let second = RecordingRunner()
        let r2 = try engine(dir, runner: second).run(RunOptions())
        #expect(second.started.value.isEmpty)
        #expect(r2.tasks.map(\.status) == [.cached, .cached, .cached])

        let third = RecordingRunner()
        let e3 = try engine(dir, n: "2", runner: third)
        #expect(try e3.status().map(\.reasons) == [["param 'n' changed 1 -> 2"], ["needs 'a', which will run first"], []])
        _ = try e3.run(RunOptions())
        #expect(third.started.value == ["a", "b"])
    }

    @Test func failureSkipsDownstreamAndRecordsNothingForIt() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let runner = RecordingRunner()
        runner.failing = ["a"]
        var options = RunOptions()
        options.keepGoing = true
        let r = try engine(dir, runner: runner).run(options)
        #expect(r.status == .failed)
        #expect(r.tasks.map(\.status) == [.failed, .skipped, .ran])
        #expect(r.tasks[0].outcome == "exit status 2")
        let state = BuildState.load(BuildState.path(storeRoot: dir.path + "/artifacts", dag: "t"))
        #expect(state.tasks.keys.sorted() == ["c"])
    }

    /// A store that cannot be synced: results may not be on disk, so no key entry and no state
    /// may trust them; the run still succeeds (with a warning) and the next run executes them again.
    @Test func resultsThatCannotBeSyncedAreNotCached() throws {
        final class Unsyncable: ArtifactStore, ActionCache, @unchecked Sendable {
            let base: LocalStore
            init(_ base: LocalStore) { self.base = base }
            func makeStaging(label: String) throws -> String { try base.makeStaging(label: label) }
            func commit(staging: String) throws -> Digest { try base.commit(staging: staging) }
            func discard(staging: String) { base.discard(staging: staging) }
            func contains(_ digest: Digest) -> Bool { base.contains(digest) }
            func condition(of digest: Digest, repair: Bool) -> ArtifactCondition { base.condition(of: digest, repair: repair) }
            func damagedFiles(_ digest: Digest) -> [String] { base.damagedFiles(digest) }
            func seal(of digest: Digest) -> TreeSeal? { base.seal(of: digest) }
            var evictions: Int { base.evictions }
            func updateLatest(dag: String, task: String, digest: Digest) { base.updateLatest(dag: dag, task: task, digest: digest) }
            func latestMembership(dag: String) -> StoreMembership? { base.latestMembership(dag: dag) }
            func membership(of directory: String) -> StoreMembership? { base.membership(of: directory) }
            func location(of digest: Digest) -> String { base.location(of: digest) }
            func sync(_ artifacts: [Digest]) throws { throw InternalError("disk gone") }
            func lookup(_ key: CacheKey) -> ActionEntry? { base.lookup(key) }
            func record(_ entry: ActionEntry) throws { try base.record(entry) }
        }
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("dags/t.yaml", yaml)
        var renderer = DiagnosticRenderer()
        let project = Project(root: dir.path)
        let graph = try project.loadGraph(dir.path + "/dags/t.yaml", registry: KindRegistry(), overrides: [], renderer: &renderer)
        let warnings = Locked<[String]>([])
        let e = try Engine(project: project, graph: graph, runner: RecordingRunner(), store: Unsyncable(try LocalStore(root: project.storeRoot)))
        e.observer = { if case .warning(let w) = $0 { warnings.mutate { $0.append(w) } } }
        #expect(try e.run(RunOptions()).status == .succeeded)
        // One warning per batch ("N results are not cached: ..."); how the 3 results batch depends on timing.
        let counts = warnings.value.filter { $0.contains("results are not cached") && $0.contains("disk gone") }.compactMap { Int($0.split(separator: " ")[0]) }
        #expect(counts.reduce(0, +) == 3)
        #expect(BuildState.load(BuildState.path(storeRoot: project.storeRoot, dag: "t")).tasks.isEmpty)
        let again = RecordingRunner()
        _ = try engine(dir, runner: again).run(RunOptions())
        #expect(again.started.value == ["a", "b", "c"])
    }
}

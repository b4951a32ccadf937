import Foundation
import Testing
@testable import LoomCore

/// `resources:` (issue 10: a task's resources are part of the spec and reach the runner).
@Suite struct ResourcesTests {
    @Test func resourcesAreParsedAndReachTheJob() throws {
        let g = try #require(build("""
        tasks:
          a: {kind: shell, cmd: x, resources: {cpus: 4, memory: 1.5G, time: 2h}}
          b: {kind: shell, cmd: y, resources: {memory: 512MiB}}
          c: {kind: shell, cmd: z}
        """).success)
        #expect(g.nodes[0].resources == Resources(cpus: 4, memoryBytes: 1_610_612_736, seconds: 7200))
        #expect(g.nodes[1].resources == Resources(memoryBytes: 536_870_912))
        #expect(g.nodes[2].resources == Resources())
        // Not keyed: the same task with other resources has the same key (and the graph cache
        // keeps them).
        let h = try #require(build("tasks:\n  a: {kind: shell, cmd: x}\n").success)
        #expect(KeyManifest(kind: "shell", kindVersion: 1, params: g.nodes[0].params, command: g.nodes[0].command).key
                == KeyManifest(kind: "shell", kindVersion: 1, params: h.nodes[0].params, command: h.nodes[0].command).key)
        let back = try #require(GraphCache.decode(GraphCache.encode(g)))
        #expect(back.nodes.map(\.resources) == g.nodes.map(\.resources))
    }

    @Test func badResourcesAreLocatedErrors() {
        #expect(build("""
        tasks:
          a: {kind: shell, cmd: x, resources: {cpus: 0, memory: lots, time: -1, gpus: 1}}
          b: {kind: shell, cmd: x, resources: 4}
        """).failure == """
        dags/t.yaml:2:46: error: 'cpus' must be a whole number from 1 to 4096
          a: {kind: shell, cmd: x, resources: {cpus: 0, memory: lots, time: -1, gpus: 1}}
                                                     ^
        dags/t.yaml:2:57: error: 'memory' must be a size like 512M or 4G (K, M, G, T: powers of 1024), or a number of bytes
          a: {kind: shell, cmd: x, resources: {cpus: 0, memory: lots, time: -1, gpus: 1}}
                                                                ^~~~
        dags/t.yaml:2:69: error: 'time' must be a positive number of seconds, or a number followed by s, m or h (like 90s, 5m)
          a: {kind: shell, cmd: x, resources: {cpus: 0, memory: lots, time: -1, gpus: 1}}
                                                                            ^~
        dags/t.yaml:2:73: error: unknown key 'gpus' in 'resources'
          a: {kind: shell, cmd: x, resources: {cpus: 0, memory: lots, time: -1, gpus: 1}}
                                                                                ^~~~
        note: did you mean 'cpus'?
        dags/t.yaml:3:39: error: 'resources' must be a mapping like {cpus: 2, memory: 4G, time: 1h}, found a scalar
          b: {kind: shell, cmd: x, resources: 4}
                                              ^
        """ + "\n")
    }

    /// The runner gets what the task asked for.
    @Test func theRunnerReceivesTheResources() throws {
        final class Capturing: TaskRunner, @unchecked Sendable {
            let seen = Locked<[String: Resources]>([:])
            final class Handle: RunningJob, @unchecked Sendable { func cancel() {} }
            func start(_ job: Job, onExit: @escaping @Sendable (JobOutcome) -> Void) -> RunningJob {
                seen.mutate { $0[job.task.name] = job.resources }
                try? FileSystem.writeAtomically((job.environment["LOOM_OUT"] ?? "/nonexistent") + "/x", job.task.name)
                DispatchQueue.global().async { onExit(.succeeded) }
                return Handle()
            }
        }
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: x, resources: {cpus: 2, time: 30m}}\n  b: {kind: shell, cmd: y}\n")
        var renderer = DiagnosticRenderer()
        let project = Project(root: dir.path)
        let graph = try project.loadGraph(dir.path + "/dags/t.yaml", registry: KindRegistry(), overrides: [], renderer: &renderer)
        let runner = Capturing()
        _ = try Engine(project: project, graph: graph, runner: runner).run(RunOptions())
        #expect(runner.seen.value == ["a": Resources(cpus: 2, seconds: 1800), "b": Resources()])
    }

    /// Slurm's own keys: partition, account and further sbatch options, kept by the graph cache.
    @Test func slurmResourcesAreParsedAndKept() throws {
        let g = try #require(build("""
        tasks:
          a: {kind: shell, cmd: x, resources: {partition: gpu-long, account: team.a, sbatch: ["--qos=high", "--gres=gpu:1"]}}
        """).success)
        var want = Resources()
        want.partition = "gpu-long"
        want.account = "team.a"
        want.sbatch = ["--qos=high", "--gres=gpu:1"]
        #expect(g.nodes[0].resources == want)
        let back = try #require(GraphCache.decode(GraphCache.encode(g)))
        #expect(back.nodes[0].resources == want)
    }

    /// Options Loom sets itself, short options, and names with shell or control characters are
    /// refused where they are written.
    @Test func hostileSlurmResourcesAreLocatedErrors() {
        #expect(build("""
        tasks:
          a: {kind: shell, cmd: x, resources: {sbatch: ["--output=/etc/passwd", "-p"]}}
          b: {kind: shell, cmd: x, resources: {sbatch: ["--wrap=rm -rf /", "--mem=1G"]}}
          c: {kind: shell, cmd: x, resources: {sbatch: [3, "--qos=x\\ny"]}}
          d: {kind: shell, cmd: x, resources: {partition: "a;b", account: [x], sbatch: "--qos=high"}}
        """).failure == """
        dags/t.yaml:2:49: error: sbatch option '--output' is set by Loom (Loom writes the job's output to the task's log)
          a: {kind: shell, cmd: x, resources: {sbatch: ["--output=/etc/passwd", "-p"]}}
                                                        ^~~~~~~~~~~~~~~~~~~~~~
        dags/t.yaml:2:73: error: an sbatch option must be a long option like "--qos=high" (got "-p")
          a: {kind: shell, cmd: x, resources: {sbatch: ["--output=/etc/passwd", "-p"]}}
                                                                                ^~~~
        dags/t.yaml:3:49: error: sbatch option '--wrap' is set by Loom (Loom writes the job's script)
          b: {kind: shell, cmd: x, resources: {sbatch: ["--wrap=rm -rf /", "--mem=1G"]}}
                                                        ^~~~~~~~~~~~~~~~~
        dags/t.yaml:3:68: error: sbatch option '--mem' is set by Loom (use resources.memory)
          b: {kind: shell, cmd: x, resources: {sbatch: ["--wrap=rm -rf /", "--mem=1G"]}}
                                                                           ^~~~~~~~~~
        dags/t.yaml:4:49: error: an sbatch option must be a long option like "--qos=high" (got "3")
          c: {kind: shell, cmd: x, resources: {sbatch: [3, "--qos=x\\ny"]}}
                                                        ^
        dags/t.yaml:4:52: error: an sbatch option must not contain control characters
          c: {kind: shell, cmd: x, resources: {sbatch: [3, "--qos=x\\ny"]}}
                                                           ^
        dags/t.yaml:5:51: error: 'partition' must be a Slurm partition name (letters, digits, '-', '_', '.')
          d: {kind: shell, cmd: x, resources: {partition: "a;b", account: [x], sbatch: "--qos=high"}}
                                                          ^~~~~
        dags/t.yaml:5:67: error: 'account' must be a Slurm account name (letters, digits, '-', '_', '.')
          d: {kind: shell, cmd: x, resources: {partition: "a;b", account: [x], sbatch: "--qos=high"}}
                                                                          ^
        dags/t.yaml:5:80: error: 'sbatch' must be a list of sbatch options like ["--qos=high", "--gres=gpu:1"]
          d: {kind: shell, cmd: x, resources: {partition: "a;b", account: [x], sbatch: "--qos=high"}}
                                                                                       ^~~~~~~~~~~~
        """ + "\n")
    }

    @Test func sizes() {
        #expect(SpecParser.bytes(.string("4G")) == 4 << 30)
        #expect(SpecParser.bytes(.string("4GB")) == 4 << 30)
        #expect(SpecParser.bytes(.string("100k")) == 102_400)
        #expect(SpecParser.bytes(.int(1000)) == 1000)
        for bad: ParamValue in [.string("G"), .string("-1G"), .string("2P"), .string("9999999T"), .int(0), .int(-5), .float(1.5), .string("")] {
            #expect(SpecParser.bytes(bad) == nil, "\(bad)")
        }
    }
}

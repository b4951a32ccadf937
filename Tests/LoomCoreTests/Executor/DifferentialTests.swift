import Foundation
import Testing
@testable import LoomCore

/// Issue 10, "Proof": the fast path (no-op memo, graph cache) must decide exactly what the full
/// path decides, and both what a clean run in an empty store produces. Seeded random DAGs get
/// random sequences of edits; after each step three projects are compared: A runs normally, B
/// runs with its memo and graph cache deleted first, C (every few steps) starts from nothing.
/// `LOOM_DIFF_STEPS=N` runs N steps per DAG (the long mode; CI runs the default).
@Suite struct DifferentialTests {
    /// Outputs are a function of the command, the inputs' outputs and the files the command
    /// names, like a real task, so reruns with identical inputs give identical bytes.
    final class FunctionalRunner: TaskRunner, @unchecked Sendable {
        let started = Locked<[String]>([])
        final class Handle: RunningJob, @unchecked Sendable { func cancel() {} }
        func start(_ job: Job, onExit: @escaping @Sendable (JobOutcome) -> Void) -> RunningJob {
            started.mutate { $0.append(job.task.name) }
            let cmd = job.arguments.last ?? ""
            var text = cmd
            if let inDir = job.environment["LOOM_IN"] {
                for name in (try? FileSystem.listDirectory(inDir)) ?? [] {
                    text += "|" + name + "=" + ((try? FileSystem.readText(inDir + "/" + name + "/out.txt")) ?? "?")
                }
            }
            for word in cmd.split(separator: " ") where word.hasPrefix("data/") {
                text += "|" + ((try? FileSystem.readText(job.workingDirectory + "/" + word)) ?? "?")
            }
            // A task named like "c*" writes only what does not depend on its param: reruns of it
            // after a param change give the same bytes (early cutoff downstream).
            let out = job.task.name.hasPrefix("c") ? String(text.split(separator: "|").dropFirst().joined(separator: "|")) : text
            try? FileSystem.writeAtomically((job.environment["LOOM_OUT"] ?? "/nonexistent") + "/out.txt", Digest(of: out).hex)
            DispatchQueue.global().async { onExit(.succeeded) }
            return Handle()
        }
    }

    struct Rand {
        var state: UInt64
        mutating func next() -> UInt64 {   // SplitMix64
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func dag(seed: UInt64) -> String {
        var r = Rand(state: seed)
        let n = 6 + r.int(7)
        var out = "params: {p0: 0, p1: 0, p2: 0}\ntasks:\n"
        for i in 0..<n {
            let name = (r.int(4) == 0 ? "c" : "t") + String(i)
            let needs = (0..<i).filter { _ in r.int(3) == 0 }.map { j -> String in "X\(j)" }
            let files = (0..<3).filter { _ in r.int(4) == 0 }.map { "data/f\($0).txt" }
            out += "  \(name): {kind: shell, cmd: 'w\(i) {{params.p\(r.int(3))}} \(files.joined(separator: " "))'"
            if !files.isEmpty { out += ", files: [\(files.joined(separator: ", "))]" }
            if !needs.isEmpty { out += ", needs: [\(needs.joined(separator: ", "))]" }
            out += "}\n"
        }
        // Needs name tasks by index; resolve to their names.
        let names = out.split(separator: "\n").dropFirst(2).map { String($0.trimmingCharacters(in: .whitespaces).prefix { $0 != ":" }) }
        for (j, name) in names.enumerated().reversed() { out = out.replacingOccurrences(of: "X\(j)", with: name) }
        return out
    }

    final class Project3 {
        let dirs = [TestDir(), TestDir(), TestDir()]
        var overrides: [(name: String, value: String)] = [("p0", "0"), ("p1", "0"), ("p2", "0")]
        deinit { for d in dirs { d.remove() } }

        func write(_ rel: String, _ text: String) { for d in dirs { d.write(rel, text) } }

        func run(_ i: Int, forced: [String] = [], fresh: Bool = false) throws -> (ran: [String], artifacts: [String: String]) {
            let dir = dirs[i]
            if fresh { FileSystem.removeTree(dir.path + "/artifacts"); FileSystem.removeTree(dir.path + "/experiments") }
            if i == 1 {   // the full path: no memo, no parsed graph
                FileSystem.removeTree(dir.path + "/artifacts/graphs")
                FileSystem.removeTree(NoopMemo.path(storeRoot: dir.path + "/artifacts", dag: "t"))
            }
            var renderer = DiagnosticRenderer()
            let project = Project(root: dir.path)
            let graph = try project.loadGraph(dir.path + "/dags/t.yaml", registry: KindRegistry(), overrides: overrides, renderer: &renderer)
            let runner = FunctionalRunner()
            let engine = try Engine(project: project, graph: graph, runner: runner)
            var options = RunOptions()
            options.jobs = 2
            options.forced = forced
            let record = try engine.run(options)
            #expect(record.status == .succeeded)
            var artifacts: [String: String] = [:]
            for t in record.tasks {
                artifacts[t.name] = t.artifact.flatMap { try? FileSystem.readText(project.storeRoot + "/trees/\($0.hex)/out.txt") } ?? "missing"
            }
            return (runner.started.value.sorted(), artifacts)
        }

        /// The stored file of a task's latest artifact in project `i`.
        func stored(_ i: Int, _ task: String) -> String? {
            let link = dirs[i].path + "/artifacts/latest/t/" + task
            return FileSystem.exists(link) ? link + "/out.txt" : nil
        }
    }

    static var steps: Int { Int(ProcessInfo.processInfo.environment["LOOM_DIFF_STEPS"] ?? "") ?? 40 }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func fastPathFullPathAndCleanRunAgree(seed: UInt64) throws {
        let p = Project3()
        let yaml = Self.dag(seed: seed)
        p.write("dags/t.yaml", yaml)
        for k in 0..<3 { p.write("data/f\(k).txt", "v0") }
        let tasks = yaml.split(separator: "\n").dropFirst(2).map { String($0.trimmingCharacters(in: .whitespaces).prefix { $0 != ":" }) }
        var r = Rand(state: seed &* 7919)
        for step in 0..<Self.steps {
            var forced: [String] = []
            var what = ""
            switch r.int(8) {
            case 0:
                let k = r.int(3), v = String(r.int(3))
                p.overrides[k].value = v
                what = "param p\(k) = \(v)"
            case 1:
                let k = r.int(3), v = "v\(r.int(3))"
                p.write("data/f\(k).txt", v)
                what = "file f\(k) = \(v)"
            case 2:
                let k = r.int(3)
                for d in p.dirs {   // touch: same bytes, new mtime
                    var t = [timespec(tv_sec: 1_000_000 + step, tv_nsec: 0), timespec(tv_sec: 1_000_000 + step, tv_nsec: 0)]
                    utimensat(AT_FDCWD, d.path + "/data/f\(k).txt", &t, 0)
                }
                what = "touch f\(k)"
            case 3:
                let t = tasks[r.int(tasks.count)]
                for i in 0..<2 {
                    let latest = p.dirs[i].path + "/artifacts/latest/t/"
                    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: latest + t) { FileSystem.removeTree(latest + target) }
                }
                what = "delete artifact of \(t)"
            case 4:
                let t = tasks[r.int(tasks.count)]
                for i in 0..<2 {
                    guard let f = p.stored(i, t) else { continue }
                    let fd = open(f, O_WRONLY)
                    _ = "Z".withCString { pwrite(fd, $0, 1, 0) }
                    close(fd)
                }
                what = "corrupt artifact of \(t)"
            case 5:
                forced = [tasks[r.int(tasks.count)]]
                what = "force \(forced[0])"
            default:
                what = "nothing"
            }
            let a = try p.run(0, forced: forced)
            let b = try p.run(1, forced: forced)
            #expect(a.ran == b.ran, "seed \(seed) step \(step) (\(what)): fast path ran \(a.ran), full path \(b.ran)")
            #expect(a.artifacts == b.artifacts, "seed \(seed) step \(step) (\(what))")
            #expect(!a.artifacts.values.contains("missing"))
            if step % 8 == 7 || step == Self.steps - 1 {
                let c = try p.run(2, fresh: true)
                #expect(c.artifacts == a.artifacts, "seed \(seed) step \(step) (\(what)): a clean run gives other bytes")
            }
        }
    }
}

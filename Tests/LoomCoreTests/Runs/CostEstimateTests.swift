import Foundation
import Testing
@testable import LoomCore

/// Issue 14: the dry run's cost estimate, on hand-worked schedules.
@Suite struct CostEstimateTests {
    /// a -> {b, c} -> d, plus a lone e; every task stale.
    static let dag = """
    tasks:
      a: {kind: shell, cmd: "true"}
      b: {kind: shell, cmd: "true", needs: [a]}
      c: {kind: shell, cmd: "true", needs: [a]}
      d: {kind: shell, cmd: "true", needs: [b, c]}
      e: {kind: shell, cmd: "true", resources: {cpus: 2}}
    """

    func key(_ s: String) -> Digest { Digest(of: s) }

    @Test func scheduleAndCriticalPathByHand() throws {
        let g = try #require(build(Self.dag).success)
        let history: [String: [CostEstimate.Sample]] = [
            "a": [.init(key: key("a"), seconds: 2, artifact: nil)],
            "b": [.init(key: key("b"), seconds: 5, artifact: nil)],
            "c": [.init(key: key("c"), seconds: 1, artifact: nil)],
            "d": [.init(key: key("d"), seconds: 1, artifact: nil)],
            "e": [.init(key: key("e"), seconds: 3, artifact: nil)],
        ]
        let stale = g.nodes.indices.map { (index: $0, key: Optional(key(g.nodes[$0].id.name))) }
        // -j 1: everything in a row, 12 s. The critical path is a -> b -> d, 8 s.
        let one = CostEstimate(graph: g, stale: stale, history: history, jobs: 1) { _ in nil }
        #expect(one.seconds == 12)
        #expect(one.criticalPath == ["a", "b", "d"] && one.criticalSeconds == 8)
        #expect(one.unknown.isEmpty && one.bytes == nil)
        // -j 2, plan order a b c d e (e needs both slots and is never overtaken):
        // 0-2 a; 2-7 b, 2-3 c; 7-8 d; e waits for two free slots: 8-11.
        let two = CostEstimate(graph: g, stale: stale, history: history, jobs: 2) { _ in nil }
        #expect(two.seconds == 11)
        // -j 4: a 0-2 with e 0-3 (2 slots), then b 2-7 and c 3-4, d 7-8.
        let four = CostEstimate(graph: g, stale: stale, history: history, jobs: 4) { _ in nil }
        #expect(four.seconds == 8)
    }

    @Test func sameKeyFirstThenMedianOfTheTaskThenNothing() throws {
        let g = try #require(build(Self.dag).success)
        let art = key("artifact")
        let history: [String: [CostEstimate.Sample]] = [
            // Newest first: the same key's 9 s wins over the newer runs under other keys.
            "a": [.init(key: key("x"), seconds: 1, artifact: nil), .init(key: key("a"), seconds: 9, artifact: art)],
            // Other keys only: the median of the last five (1, 2, 4, 8, 100 -> 4); the sixth is too old.
            "b": [1, 100, 2, 8, 4, 1000].map { .init(key: key("old\($0)"), seconds: $0, artifact: nil) },
        ]
        let stale = [0, 1, 2].map { (index: $0, key: Optional(key(g.nodes[$0].id.name))) }
        let e = CostEstimate(graph: g, stale: stale, history: history, jobs: 1) { $0 == art ? 1234 : nil }
        #expect(e.tasks.map(\.source) == [.sameKey, .sameTask, .none])
        #expect(e.tasks.map(\.seconds) == [9, 4, nil])
        #expect(e.unknown == ["c"])
        #expect(e.bytes == 1234)
        #expect(e.seconds == 13)
        // Recorded in the run record and read back.
        let back = CostEstimate.Recorded(json: try JSON.parse(Array(JSON.object(["e": e.json]).encoded(pretty: false).utf8))["e"]!)
        #expect(back == CostEstimate.Recorded(e))
    }

    @Test func theDurationLogKeepsSuccessfulLocalRunsNewestFirst() throws {
        let dir = NSTemporaryDirectory() + "loom-times-" + UUID().uuidString
        try FileSystem.makeDirectories(dir)
        defer { FileSystem.removeTree(dir) }
        let path = dir + "/t.times"
        func report(_ name: String, _ status: TaskStatus, _ d: Double, reasons: [String] = []) -> TaskReport {
            var t = TaskReport(name: name, kind: "shell", status: status, reasons: reasons)
            t.duration = d
            t.key = CacheKey(key(name))
            t.artifact = key("art " + name)
            return t
        }
        try DurationLog.append(path, tasks: [report("a", .ran, 2), report("b", .ran, 3, reasons: ["served by the remote cache"])])
        try DurationLog.append(path, tasks: [report("a", .ran, 1), report("b", .failed, 7), report("c", .cached, 0)])
        let s = DurationLog.read(path)
        #expect(s["a"]?.map(\.seconds) == [1, 2] && s["a"]?.first?.key == key("a") && s["a"]?.first?.artifact == key("art a"))
        #expect(s["b"] == nil && s["c"] == nil)
        // A torn last line (a crash mid-append) and a file of another format are skipped.
        let fd = open(path, O_WRONLY | O_APPEND)
        _ = "a\tnot-hex\t1".withCString { write(fd, $0, strlen($0)) }
        close(fd)
        #expect(DurationLog.read(path)["a"]?.count == 2)
        try FileSystem.writeAtomically(path, "something else\na\t\(key("a").hex)\t1\t\(key("a").hex)\n")
        #expect(DurationLog.read(path).isEmpty)
    }

    @Test func theDurationLogIsCompactedToEachTasksLastRuns() throws {
        let dir = NSTemporaryDirectory() + "loom-times-" + UUID().uuidString
        try FileSystem.makeDirectories(dir)
        defer { FileSystem.removeTree(dir) }
        let path = dir + "/t.times"
        var lines = DurationLog.header + "\n"
        // Lines of 140 bytes: past compactAbove after about 15,000.
        var i = 0
        while lines.utf8.count <= DurationLog.compactAbove { lines += "t\(i % 3)\t\(key("k").hex)\t\(i)\t\(key("a").hex)\n"; i += 1 }
        let last = i - 1
        try FileSystem.writeAtomically(path, lines)
        var t = TaskReport(name: "t0", kind: "shell", status: .ran)
        t.duration = 0.5
        t.key = CacheKey(key("k"))
        t.artifact = key("a")
        try DurationLog.append(path, tasks: [t])
        let s = DurationLog.read(path)
        let t0 = (0...last).filter { $0 % 3 == 0 }.suffix(5).reversed().map(Double.init)
        #expect(s["t0"]?.map(\.seconds) == [0.5] + t0)
        #expect(s["t1"]?.count == 5 && s["t2"]?.count == 5)
        // Read for some tasks only: theirs are exactly as in the whole read, no others.
        let some = DurationLog.read(path, tasks: ["t0", "t2", "absent"])
        #expect(some.keys.sorted() == ["t0", "t2"])
        #expect(some["t0"]?.map(\.seconds) == s["t0"]?.map(\.seconds) && some["t2"]?.map(\.seconds) == s["t2"]?.map(\.seconds))
        #expect(DurationLog.read(path, tasks: []).isEmpty)
    }
}

import Foundation
import Testing
@testable import LoomCore

@Suite struct RunDiffTests {
    func record(_ id: String, k: Int, auc: Double, status: RunRecord.Status = .succeeded, name: String? = nil) -> RunRecord {
        let m = KeyManifest(kind: "kmeans", kindVersion: 1, params: ["k": .int(k)])
        var t = TaskReport(name: "seg", kind: "kmeans", status: .ran)
        t.key = m.key
        t.artifact = Digest(of: "a\(k)")
        t.manifest = m
        t.metrics = ["auc": auc, "n": 10]
        var same = TaskReport(name: "data", kind: "shell", status: k == 4 ? .ran : .cached)
        same.key = CacheKey(Digest(of: "data"))
        same.artifact = Digest(of: "data")
        var r = RunRecord(id: RunID(id), dagPath: "dags/x.yaml", dagName: "x", dagDigest: Digest(of: "x"), params: ["k": .int(k)],
                          jobs: 1, startedAt: Date(timeIntervalSince1970: 0), status: status, tasks: [same, t])
        r.name = name
        return r
    }

    @Test func paramsTasksAndMetrics() {
        let d = RunDiff(old: record("1", k: 4, auc: 0.8), new: record("2", k: 5, auc: 0.78))
        #expect(d.params == [.init(name: "k", old: .int(4), new: .int(5))])
        #expect(d.tasks.filter(\.changed).map(\.task) == ["seg"])
        #expect(d.tasks.first { $0.task == "seg" }?.reasons == ["param 'k' changed 4 -> 5"])
        let auc = d.metrics.first { $0.name == "seg.auc" }
        #expect(auc?.changed == true)
        #expect(abs((auc?.absolute ?? 0) + 0.02) < 1e-12)
        #expect(abs((auc?.relative ?? 0) + 0.025) < 1e-12)
        #expect(d.metrics.first { $0.name == "seg.n" }?.changed == false)
    }

    /// A targeted run (`loom run DAG seg`) compared with a full one: the tasks it left out are
    /// outside it, not added or removed, and their metrics are not changes.
    @Test func tasksOutsideATargetedRunAreNotChanges() {
        let full = record("1", k: 4, auc: 0.8)
        var targeted = record("2", k: 4, auc: 0.8)
        targeted.tasks.removeAll { $0.name == "seg" }
        targeted.targets = ["data"]
        for (old, new) in [(full, targeted), (targeted, full)] {
            let d = RunDiff(old: old, new: new)
            #expect(d.tasks.filter(\.changed).isEmpty, "\(d.tasks)")
            #expect(d.metrics.isEmpty)
            #expect(d.tasks.first { $0.task == "seg" }?.reasons == ["not in run 2, which ran only data and what they need"])
        }
        var untargeted = targeted
        untargeted.targets = []
        #expect(RunDiff(old: full, new: untargeted).tasks.first { $0.task == "seg" }?.reasons == ["task removed"], "a task really gone is still removed")
    }

    @Test func gates() throws {
        let now = record("2", k: 5, auc: 0.78)
        let before = RunSummary(record("1", k: 4, auc: 0.8))
        #expect(MetricGate("seg.auc < 0.8", isDrop: false)?.check(now, previous: nil) == "gate 'seg.auc < 0.8' failed: seg.auc = 0.78")
        #expect(MetricGate("seg.auc < 0.7", isDrop: false)?.check(now, previous: nil) == nil)
        #expect(MetricGate("seg.auc >= 0.01", isDrop: true)?.check(now, previous: before)?.hasPrefix("gate 'seg.auc >= 0.01' failed: seg.auc dropped by") == true)
        #expect(MetricGate("seg.auc > 0.05", isDrop: true)?.check(now, previous: before) == nil)
        #expect(MetricGate("seg.other < 1", isDrop: false)?.check(now, previous: nil) == "gate 'seg.other < 1': run has no metric 'seg.other'")
        #expect(MetricGate("auc below 3", isDrop: false) == nil)
        #expect(MetricGate("seg.auc <= 0.5", isDrop: false)?.op == .le)
    }

    @Test func references() throws {
        let runs = [record("20260101-000000-000-aa", k: 3, auc: 0.7, name: "base"), record("20260102-000000-000-bb", k: 4, auc: 0.8),
                    record("20260103-000000-000-cc", k: 5, auc: 0.9)].map(RunSummary.init)
        let q = RunQuery(store: RunStore(root: "/nonexistent"))
        #expect(try q.resolve("last", in: runs).id.value == "20260103-000000-000-cc")
        #expect(try q.resolve("last~2", in: runs).id.value == "20260101-000000-000-aa")
        #expect(try q.resolve("base", in: runs).id.value == "20260101-000000-000-aa")
        #expect(try q.resolve("20260102", in: runs).id.value == "20260102-000000-000-bb")
        #expect(throws: RunQuery.Problem.self) { try q.resolve("2026", in: runs) }
        #expect(throws: RunQuery.Problem.self) { try q.resolve("last~3", in: runs) }
    }

    @Test func summaryRoundTrip() throws {
        let s = RunSummary(record("20260101-000000-000-aa", k: 3, auc: 0.7, name: "n"))
        let back = try #require(RunSummary(json: try JSON.parse(s.json.encoded())))
        #expect(back.metrics == ["seg.auc": 0.7, "seg.n": 10, ] && back.name == "n" && back.count(.ran) == 1 && back.count(.cached) == 1)
    }
}

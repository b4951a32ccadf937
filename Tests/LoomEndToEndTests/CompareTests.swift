import Foundation
import Testing
import LoomCore

let measured = """
params:
  k: 4
  n: 10
tasks:
  data:
    kind: shell
    cmd: seq 1 {{params.n}} > $LOOM_OUT/d.txt
  model:
    kind: shell
    needs: [data]
    cmd: |
      awk -v k={{params.k}} '{ s += $1 % k } END { printf "{\\"auc\\": %.3f, \\"rows\\": %d}\\n", s / (NR * k), NR }' $LOOM_IN/data/d.txt > $LOOM_OUT/metrics.json
  report:
    kind: shell
    needs: [model]
    cmd: cp $LOOM_IN/model/metrics.json $LOOM_OUT/
"""

@Suite(.serialized) struct CompareTests {
    func sandbox() -> Sandbox {
        let s = Sandbox()
        s.write("dags/t.yaml", measured)
        return s
    }

    @Test func diffNamesTheParamTheTasksAndTheMetrics() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        #expect(try s.loom("run", "dags/t.yaml", "-q", "-P", "k=5", "--name", "k5").status == 0)
        let d = try s.loom("diff", "--json")
        #expect(d.status == 0)
        let j = try JSON.parse(d.stdout)
        #expect(j["params"] == .array([.object(["name": .string("k"), "old": .int(4), "new": .int(5)])]))
        let tasks = j["tasks"]?.array ?? []
        #expect(tasks.compactMap { $0["task"]?.string } == ["model", "report"])
        #expect(tasks.first?["reasons"] == .array([.string("param 'k' changed 4 -> 5")]))
        #expect(tasks.last?["reasons"] == .array([.string("input 'model' changed")]))
        let metrics = (j["metrics"]?.array ?? []).filter { $0["name"]?.string == "model.auc" }
        // mean of (i mod k) / k over 1..10: k=4 -> 15/40 = 0.375, k=5 -> 20/50 = 0.4
        #expect(metrics.first?["old"]?.double == 0.375 && metrics.first?["new"]?.double == 0.4)
        #expect(abs((metrics.first?["absolute"]?.double ?? 0) - 0.025) < 1e-12)
        // By name and relative references too.
        let byName = try s.loom("diff", "last~1", "k5")
        #expect(byName.stdout.contains("  k  4 -> 5"))
        #expect(byName.stdout.contains("model: key changed, output changed\n      - param 'k' changed 4 -> 5"))
        #expect(byName.stdout.contains("model.auc"))
        #expect(!byName.stdout.contains("model.rows"), "unchanged metrics are hidden without --all")
    }

    @Test func sweepRecordsOneRunPerPointAndRunsUnaffectedTasksOnce() throws {
        let s = sandbox()
        let r = try s.loom("run", "dags/t.yaml", "-P", "k=2,3,4,5")
        #expect(r.status == 0, "\(r.stderr)")
        let store = RunStore(root: s.root + "/experiments")
        let runs = store.ids().compactMap { try? store.load($0) }
        #expect(runs.count == 4)
        let sweep = try #require(runs.first?.sweep)
        #expect(runs.allSatisfy { $0.sweep == sweep })
        #expect(runs.map { $0.params["k"] } == [.int(2), .int(3), .int(4), .int(5)])
        let dataRuns = runs.filter { $0.tasks.first { $0.name == "data" }?.status == .ran }
        #expect(dataRuns.count == 1)
        let listed = try s.loom("runs", "--sweep", sweep, "--metrics", "model.auc")
        #expect(listed.stdout.split(separator: "\n").count == 5)
    }

    @Test func gatesFailTheRunWithTheirOwnCode() throws {
        let s = sandbox()
        let ok = try s.loom("run", "dags/t.yaml", "-q", "--fail-if", "model.auc < 0.3")
        #expect(ok.status == 0)
        let low = try s.loom("run", "dags/t.yaml", "-q", "--fail-if", "model.auc < 0.5")
        #expect(low.status == 5)
        #expect(low.stderr.contains("error: gate 'model.auc < 0.5' failed: model.auc = 0.375"))
        // k=2: auc 0.25, a drop of 0.125 from the first run (k=4) named as the baseline; without
        // one, no earlier run has k=2, so there is nothing to compare with.
        let first = try #require(RunStore(root: s.root + "/experiments").ids().first).value
        let adHoc = try s.loom("run", "dags/t.yaml", "-q", "-P", "k=2", "--fail-if-drop", "model.auc > 0.1")
        #expect(adHoc.status == 0, "another run's params are not a yardstick")
        #expect(adHoc.stderr.contains("warning: no earlier successful run of dags/t.yaml with the same params: --fail-if-drop had nothing to compare with"))
        let drop = try s.loom("run", "dags/t.yaml", "-q", "-P", "k=2", "--fail-if-drop", "model.auc > 0.1", "--baseline", first)
        #expect(drop.status == 5)
        #expect(drop.stderr.contains("model.auc dropped by 0.125 (0.375 -> 0.25"))
        #expect(try s.lastRun().gateFailures.count == 1)
        let bad = try s.loom("run", "dags/t.yaml", "--fail-if", "auc lower than 3")
        #expect(bad.status == 2)
    }

    /// Run status is one word everywhere: a run whose gate failed is `gate-failed` in `runs`,
    /// `show`, `run.json`, `--json`, the index and the report; `--status` finds it by that word only.
    @Test func aFailedGateIsGateFailedEverywhere() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        let gated = try s.loom("run", "dags/t.yaml", "-q", "--fail-if", "model.auc < 0.5", "--name", "gated")
        #expect(gated.status == 5)
        #expect(gated.stderr.contains("loom: gate-failed: 0 ran, 3 cached, 0 failed, 0 skipped in "))
        let record = try s.lastRun()
        #expect(record.status == .gateFailed)
        let json = s.read("experiments/\(record.id.value)/run.json") ?? ""
        #expect(json.contains("\"status\": \"gate-failed\""))
        #expect(s.read("experiments/\(record.id.value)/report.html")?.contains("<b>gate-failed</b>") == true)
        #expect(s.read("experiments/index.jsonl")?.split(separator: "\n").last?.contains("\"status\":\"gate-failed\"") == true)
        let show = try s.loom("show", "gated")
        #expect(show.stdout.hasPrefix("run \(record.id.value) (gated)  gate-failed  "))
        let showJSON = try JSON.parse(try s.loom("show", "gated", "--json").stdout)
        #expect(showJSON["status"]?.string == "gate-failed")
        let listed = try s.loom("runs")
        #expect(listed.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ").dropFirst().first } == ["gate-failed", "succeeded"])
        let runsJSON = try JSON.parse(try s.loom("runs", "--json").stdout)
        #expect(runsJSON.array?.compactMap { $0["status"]?.string } == ["gate-failed", "succeeded"])
        func ids(_ status: String) throws -> [String] {
            (try JSON.parse(try s.loom("runs", "--status", status, "--json").stdout)).array?.compactMap { $0["id"]?.string } ?? []
        }
        #expect(try ids("gate-failed") == [record.id.value])
        #expect(try ids("succeeded").count == 1 && !(try ids("succeeded")).contains(record.id.value))
        #expect(try ids("failed").isEmpty)
        let unknown = try s.loom("runs", "--status", "gate_failed")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("Error: unknown --status 'gate_failed' (did you mean 'gate-failed'?); valid: running, succeeded, gate-failed, failed, interrupted, crashed\n"))
        let diff = try s.loom("diff")
        #expect(diff.stdout.contains("  gate-failed\n"))
    }

    /// With no RUN, `loom diff` compares the last run with the run of the *same DAG* before it (it
    /// used to compare a run of one DAG with a run of another).
    @Test func diffWithoutRunsComparesTheLastTwoRunsOfOneDAG() throws {
        let s = sandbox()
        s.write("dags/u.yaml", "tasks:\n  one: {kind: shell, cmd: 'echo 1 > $LOOM_OUT/x'}\n")
        #expect(try s.loom("run", "t", "-q").status == 0)
        #expect(try s.loom("run", "u", "-q").status == 0)
        let alone = try s.loom("diff")
        #expect(alone.status == 2)
        #expect(alone.stderr.hasPrefix("error: the last run, \(try s.lastRun().id), is the only run of dags/u.yaml; need two runs of the same DAG"))
        #expect(try s.loom("run", "t", "-q", "-P", "k=5").status == 0)
        let d = try s.loom("diff")
        #expect(d.status == 0, "\(d.stderr)")
        #expect(d.stdout.contains("\nparams\n  k  4 -> 5\n"), "\(d.stdout)")
        #expect(d.stdout.split(separator: "\n").prefix(2).allSatisfy { $0.contains("dags/t.yaml") })
        #expect(try s.loom("diff", "--dag", "u").status == 2, "one run of u only")
    }

    /// A targeted run compared with a full one does not report the tasks it left out as removed.
    @Test func aTargetedRunLeavesTheRestOutOfTheDiff() throws {
        let s = sandbox()
        #expect(try s.loom("run", "t", "-q").status == 0)
        #expect(try s.loom("run", "t", "data", "-q").status == 0)
        let d = try s.loom("diff")
        #expect(d.stdout.hasSuffix("\nno differences\n"), "\(d.stdout)")
        let all = try s.loom("diff", "--all")
        #expect(all.stdout.contains("  report: outside a targeted run\n"), "\(all.stdout)")
    }

    /// Metric names are printed in full: cut at 24 characters, these two printed the same.
    @Test func longMetricNamesArePrintedInFull() throws {
        let s = sandbox()
        s.write("dags/m.yaml", """
        params: {a: 1}
        tasks:
          evaluate_purchase_model:
            kind: shell
            cmd: |
              printf '{"average_precision_at_10": %s, "average_precision_at_20": 2}' {{params.a}} > $LOOM_OUT/metrics.json
        """)
        #expect(try s.loom("run", "m", "-q").status == 0)
        #expect(try s.loom("run", "m", "-q", "-P", "a=3").status == 0)
        let d = try s.loom("diff", "--all")
        #expect(d.stdout.contains("  evaluate_purchase_model.average_precision_at_10  1    3    +2      +200.0%\n"), "\(d.stdout)")
        #expect(d.stdout.contains("  evaluate_purchase_model.average_precision_at_20  2    2    0"), "\(d.stdout)")
        let runs = try s.loom("runs", "--metrics", "evaluate_purchase_model.average_precision_at_10")
        #expect(runs.stdout.hasPrefix("ID ") && runs.stdout.contains("  evaluate_purchase_model.average_precision_at_10  NAME\n"), "\(runs.stdout)")
    }

    /// Records written before `gate-failed` existed said `succeeded` and listed the failed gate.
    @Test func anOlderRecordOfAFailedGateReadsAsGateFailed() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml", "-q", "--fail-if", "model.auc < 0.5").status == 5)
        let id = try s.lastRun().id.value
        for file in ["experiments/\(id)/run.json", "experiments/index.jsonl"] {
            s.write(file, (s.read(file) ?? "").replacingOccurrences(of: "gate-failed", with: "succeeded"))
        }
        #expect(try s.lastRun().status == .gateFailed)
        #expect(try s.loom("runs", "--status", "gate-failed").stdout.contains(id))
        #expect(!(try s.loom("runs", "--status", "succeeded").stdout.contains(id)))
    }

    @Test func cronLineTwiceWithoutATerminal() throws {
        let s = sandbox()
        // The README's crontab line, minus cron: absolute paths, --quiet, output appended to a log.
        let line = "cd \(s.root) && \(Sandbox.binary) run dags/t.yaml --quiet >> \(s.root)/nightly.log 2>&1"
        for _ in 0..<2 {
            #expect(try Command.run(["/bin/sh", "-c", line]).status == 0)
        }
        let log = s.read("nightly.log") ?? ""
        let lines = log.split(separator: "\n")
        #expect(lines.count == 2)
        // The summary is dated like every line of a run without a terminal.
        #expect(lines.last.map { Sandbox.Output.untimed(String($0)).hasPrefix("loom: succeeded: 0 ran, 3 cached, 0 failed, 0 skipped in ") && $0.hasPrefix("20") } == true, "\(log)")
    }

    @Test func gcKeepsExactlyWhatKeptRunsReference() throws {
        let s = sandbox()
        for k in [2, 3, 4] { #expect(try s.loom("run", "dags/t.yaml", "-q", "-P", "k=\(k)").status == 0) }
        let records = RunStore(root: s.root + "/experiments")
        let runs = records.ids().compactMap { try? records.load($0) }
        let store = try LocalStore(root: s.root + "/artifacts")
        let all = Set(runs.flatMap { $0.tasks.compactMap(\.artifact) })
        let keep = Set(runs.last!.tasks.compactMap(\.artifact))
        let dry = try s.loom("gc", "--keep-last", "1", "--dry-run")
        #expect(dry.stdout.hasPrefix("would remove \(all.subtracting(keep).count) artifacts"))
        #expect(all.allSatisfy(store.contains))
        let gc = try s.loom("gc", "--keep-last", "1")
        #expect(gc.status == 0)
        #expect(keep.allSatisfy(store.contains))
        #expect(all.subtracting(keep).allSatisfy { !store.contains($0) })
        #expect(try s.loom("verify").status == 0)
        // The kept state still makes the last configuration a no-op.
        #expect(try s.loom("run", "dags/t.yaml", "-P", "k=4").stdout.contains("0 ran, 3 cached"))
        #expect(try s.loom("run", "dags/t.yaml", "-q", "-P", "k=2").stdout.contains("2 ran, 1 cached"))
    }

    /// `gc --dry-run` frees on paper exactly what `gc` then frees: a file held twice by one
    /// artifact, the same bytes in two removed artifacts, and a blob no artifact names any more.
    @Test func gcDryRunPredictsWhatGcFrees() throws {
        let s = sandbox()
        s.write("dags/g.yaml", """
        params: {c: q}   # never run: "as written" keeps nothing
        tasks:
          twice: {kind: shell, cmd: 'head -c 100000 /dev/zero | tr "\\\\0" {{params.c}} > $LOOM_OUT/x; cp $LOOM_OUT/x $LOOM_OUT/y'}
          same: {kind: shell, cmd: 'head -c 100000 /dev/zero | tr "\\\\0" {{params.c}} > $LOOM_OUT/z; head -c 5000 /dev/zero > $LOOM_OUT/own'}
        """)
        // A task's $LOOM_IN view holds the stored files' inodes: here `twice` of c=a, which gc
        // removes, and `down` is gone from the DAG after that run. Its blob must go all the same.
        let text = s.read("dags/g.yaml") ?? ""
        s.write("dags/g.yaml", text + "\n  down: {kind: shell, needs: [twice], cmd: 'wc -c < $LOOM_IN/twice/x > $LOOM_OUT/n'}\n")
        #expect(try s.loom("run", "dags/g.yaml", "-q", "-P", "c=a").status == 0)
        s.write("dags/g.yaml", text)
        for c in ["b", "c"] { #expect(try s.loom("run", "dags/g.yaml", "-q", "-P", "c=\(c)").status == 0) }
        // Leftovers of killed runs in tmp/: a staging directory with a partial output, a file
        // replaced but not yet deleted, and one that is also a blob's name (its bytes stay).
        s.write("artifacts/tmp/t.123.456/part.csv", String(repeating: "p", count: 3000))
        s.write("artifacts/tmp/replaced.123.1", String(repeating: "r", count: 2000))
        let blobs = try FileSystem.listDirectory(s.root + "/artifacts/blobs").flatMap { d in
            try FileSystem.listDirectory(s.root + "/artifacts/blobs/" + d).map { s.root + "/artifacts/blobs/" + d + "/" + $0 }
        }
        #expect(link(blobs[0], s.root + "/artifacts/tmp/replaced.123.2") == 0)
        // A blob whose artifact is already gone (a crash between the two steps of a removal).
        s.write("artifacts/blobs/00/" + String(repeating: "0", count: 64), String(repeating: "q", count: 7000))
        let dry = try s.loom("gc", "--keep-last", "1", "--dry-run")
        let real = try s.loom("gc", "--keep-last", "1")
        #expect(dry.status == 0 && real.status == 0)
        #expect(dry.stdout.contains("would free ") && real.stdout.contains("freed "), "\(dry.stdout)\(real.stdout)")
        // The bytes freed, up to the kept count ("; kept ...").
        let d = dry.stdout.components(separatedBy: "would free ").last?.components(separatedBy: ";").first
        let r = real.stdout.components(separatedBy: "freed ").last?.components(separatedBy: ";").first
        #expect(d != nil && d == r, "dry run: \(dry.stdout) real: \(real.stdout)")
        #expect(dry.stdout.contains("; would clear 3 leftovers of killed runs in artifacts/tmp") && real.stdout.contains("; cleared 3 leftovers"))
        #expect(try FileSystem.listDirectory(s.root + "/artifacts/tmp").isEmpty)
        var big = 0
        for shard in try FileSystem.listDirectory(s.root + "/artifacts/blobs") {
            for name in try FileSystem.listDirectory(s.root + "/artifacts/blobs/" + shard) {
                var st = stat()
                if lstat(s.root + "/artifacts/blobs/" + shard + "/" + name, &st) == 0, st.st_size == 100000 { big += 1 }
            }
        }
        #expect(big == 1, "only c's 100,000 bytes are left")
    }

    @Test func gcKeepsWhatTheDAGAsWrittenWouldReuse() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)              // k = 4, the DAG's default
        #expect(try s.loom("run", "dags/t.yaml", "-q", "-P", "k=5").status == 0)  // the last run and latest build
        let runs = RunStore(root: s.root + "/experiments")
        let ids = runs.ids()
        let asWritten = Set(try runs.load(ids[0]).tasks.compactMap(\.artifact))
        let override = Set(try runs.load(ids[1]).tasks.compactMap(\.artifact))
        // Only the last run is kept, but dags/t.yaml as written still uses the k = 4 artifacts.
        let gc = try s.loom("gc", "--keep-last", "1")
        #expect(gc.stdout.hasPrefix("removed 0 artifacts"))
        #expect((try? FileSystem.listDirectory(s.root + "/artifacts/graphs"))?.count == 1, "gc clears cached graphs; the DAG as written is cached again")
        let store = try LocalStore(root: s.root + "/artifacts")
        #expect(asWritten.union(override).allSatisfy(store.contains))
        #expect(try s.loom("run", "dags/t.yaml", "-q").stdout.contains("0 ran, 3 cached"))
        // Once the DAG moves on (k = 6 written in the file) and is built, the k = 4 and k = 5
        // artifacts that no kept run, latest build or current key uses go.
        s.write("dags/t.yaml", measured.replacingOccurrences(of: "k: 4", with: "k: 6"))
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        #expect(try s.loom("gc", "--keep-last", "1").status == 0)
        let last = Set(try runs.load(runs.ids().last!).tasks.compactMap(\.artifact))
        #expect(asWritten.union(override).subtracting(last).allSatisfy { !store.contains($0) })
        #expect(last.allSatisfy(store.contains))
    }

    @Test func reportAndGraphCommands() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        let r = try s.lastRun()
        let html = s.read("experiments/\(r.id)/report.html") ?? ""
        #expect(html.contains("<svg") && html.contains("href=\"logs/data.log\"") && html.contains(">model</text>"))
        #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(try s.loom("dag", "dags/t.yaml").stdout == "data    shell\nmodel   shell       <- data\nreport  shell       <- model\n")
        #expect(try s.loom("dag", "dags/t.yaml", "--dot").stdout.contains("\"data\" -> \"model\";"))
    }
}

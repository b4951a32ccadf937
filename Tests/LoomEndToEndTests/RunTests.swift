import Foundation
import Testing
import LoomCore

let pipeline = """
params:
  n: 5
  word: hello
tasks:
  numbers:
    kind: shell
    cmd: seq 1 {{params.n}} > $LOOM_OUT/numbers.txt
  words:
    kind: shell
    files: [data/words.txt]
    cmd: sort data/words.txt > $LOOM_OUT/words.txt
  squares:
    kind: shell
    needs: [numbers]
    cmd: awk '{ print $1 * $1 }' $LOOM_IN/numbers/numbers.txt > $LOOM_OUT/values.txt
  greet:
    kind: shell
    needs: [words]
    cmd: echo {{params.word}} | cat - $LOOM_IN/words/words.txt | tee $LOOM_OUT/greeting.txt > $LOOM_OUT/values.txt
  joined:
    kind: concat
    needs: [squares, greet]
    params: {file: values.txt}
"""

@Suite(.serialized) struct RunTests {
    func sandbox(_ dag: String = pipeline) -> Sandbox {
        let s = Sandbox()
        s.write("dags/t.yaml", dag)
        s.write("data/words.txt", "b\na\n")
        return s
    }

    @Test func secondRunExecutesNothing() throws {
        let s = sandbox()
        let first = try s.loom("run", "dags/t.yaml", "-j", "2")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("5 ran, 0 cached"))
        let second = try s.loom("run", "dags/t.yaml", "-j", "2")
        #expect(second.status == 0)
        #expect(!second.lines.contains { $0.hasPrefix("run ") })
        #expect(second.stdout.contains("0 ran, 5 cached, 0 failed"))
        let status = try s.loom("status", "dags/t.yaml")
        #expect(status.lines.last == "5 up to date, 0 stale")
        #expect(s.read("artifacts/latest/t/numbers/numbers.txt") == "1\n2\n3\n4\n5\n")
        let path = try s.loom("path", "dags/t.yaml", "squares")
        #expect(try String(contentsOfFile: path.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "/values.txt", encoding: .utf8) == "1\n4\n9\n16\n25\n")
    }

    /// No-op runs take keys from the last successful run's memo; whatever a user changes by hand
    /// between runs (an artifact removed, the latest links removed) is still noticed.
    @Test func noOpRunsNoticeWhatChangedBetweenThem() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        #expect(FileManager.default.fileExists(atPath: s.root + "/artifacts/state/t.memo"))
        Thread.sleep(forTimeInterval: 0.05)   // past the clock tick of the last commit
        #expect(try s.loom("run", "dags/t.yaml", "-q").stdout.contains("0 ran, 5 cached"))
        let noop = try s.loom("run", "dags/t.yaml", "-q")
        #expect(noop.stdout.contains("0 ran, 5 cached"))
        let record = try RunStore(root: s.root + "/experiments").load(RunStore(root: s.root + "/experiments").ids().last!)
        #expect(record.tasks.map(\.name) == ["numbers", "words", "squares", "greet", "joined"] && record.tasks.allSatisfy { $0.key != nil && $0.artifact != nil })
        #expect(!FileManager.default.fileExists(atPath: s.root + "/experiments/\(record.id.value)/logs"), "nothing ran: no logs directory")

        // Remove one artifact by hand: status and run see it, and its output has the same bytes,
        // so the tasks after it stay cached.
        let squares = try #require(record.tasks.first { $0.name == "squares" }?.artifact)
        FileSystem.removeTree(s.root + "/artifacts/trees/" + squares.hex)
        let status = try s.loom("status", "dags/t.yaml")
        #expect(status.lines.contains("stale       squares"))
        #expect(status.lines.contains { $0.contains("artifact \(squares.short) missing from the store") })
        let rerun = try s.loom("run", "dags/t.yaml")
        #expect(rerun.lines.filter { $0.hasPrefix("run ") }.map { String($0.split(separator: " ")[1]) } == ["squares"])
        #expect(rerun.stdout.contains("1 ran, 4 cached"))

        // Remove the latest links, or just one: the next no-op run puts them back.
        FileSystem.removeTree(s.root + "/artifacts/latest")
        #expect(try s.loom("run", "dags/t.yaml", "-q").stdout.contains("0 ran, 5 cached"))
        #expect(s.read("artifacts/latest/t/squares/values.txt") == "1\n4\n9\n16\n25\n")
        Thread.sleep(forTimeInterval: 0.05)
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)   // records the links' stamp
        unlink(s.root + "/artifacts/latest/t/greet")
        #expect(try s.loom("run", "dags/t.yaml", "-q").stdout.contains("0 ran, 5 cached"))
        #expect(s.read("artifacts/latest/t/greet/greeting.txt") == "hello\na\nb\n")
    }

    @Test func paramChangeRerunsExactlyDownstreamWithExplanation() throws {
        let s = sandbox(pipeline.replacingOccurrences(of: "needs: [squares, greet]\n    params: {file: values.txt}", with: "needs: [squares]\n    params: {file: values.txt}"))
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        let status = try s.loom("status", "dags/t.yaml", "-P", "n=6")
        #expect(status.withoutEstimate == """
        stale       numbers
                      - param 'n' changed 5 -> 6
        up to date  words
        stale       squares
                      - needs 'numbers', which will run first
        up to date  greet
        stale       joined
                      - needs 'squares', which will run first
        2 up to date, 3 stale

        """)
        let run = try s.loom("run", "dags/t.yaml", "-P", "n=6")
        #expect(run.lines.contains("run      numbers  (param 'n' changed 5 -> 6)"))
        #expect(has(run, "run", "squares") && has(run, "run", "joined"))
        #expect(has(run, "cached", "words") && has(run, "cached", "greet"))
        // Going back to n=5 finds the old artifacts in the cache: nothing runs.
        let back = try s.loom("run", "dags/t.yaml")
        #expect(back.stdout.contains("0 ran, 5 cached"))
    }

    /// A run the no-op memo proves whole prints its cached lines together (one write): the same
    /// lines, each stamped, in run order, before the summary.
    @Test func aProvedNoOpPrintsEveryCachedLineStamped() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        // Run order, as `loom status` lists the tasks (the first run printed them as they finished).
        let order = try s.loom("status", "dags/t.yaml").lines.filter { $0.hasPrefix("up to date  ") }.map { $0.dropFirst(12) }
        #expect(order.count == 5)
        let again = try s.loom("run", "dags/t.yaml")
        let raw = again.stdout.split(separator: "\n").map(String.init)
        #expect(raw.count == 6, "\(again.stdout)")
        let stamp = #/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ $/#
        for line in raw { #expect(String(line.prefix(21)).wholeMatch(of: stamp) != nil, "\(line)") }
        #expect(Array(again.lines.prefix(5)) == order.map { "cached   \($0)" })
        #expect(again.lines.last?.hasPrefix("loom: succeeded: 0 ran, 5 cached") == true)
        // --quiet: no progress lines, the summary only.
        let quiet = try s.loom("run", "dags/t.yaml", "--quiet")
        #expect(quiet.lines.count == 1 && quiet.lines[0].hasPrefix("loom: succeeded: 0 ran, 5 cached"), "\(quiet.stdout)")
    }

    @Test func editingADeclaredFileRerunsItsTaskAndDownstream() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        s.write("data/words.txt", "c\na\n")
        let status = try s.loom("status", "dags/t.yaml")
        #expect(status.stdout.contains("stale       words\n              - file data/words.txt changed\n"))
        let run = try s.loom("run", "dags/t.yaml")
        #expect(run.stdout.contains("3 ran, 2 cached"))
        #expect(has(run, "cached", "numbers") && has(run, "cached", "squares"))
        #expect(s.read("artifacts/latest/t/greet/greeting.txt") == "hello\na\nc\n")
    }

    @Test func earlyCutoffWhenUpstreamOutputIsUnchanged() throws {
        let s = sandbox()
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        // Same sorted content: words reruns but produces the same bytes, so greet stays cached.
        s.write("data/words.txt", "a\nb\n")
        let run = try s.loom("run", "dags/t.yaml")
        #expect(has(run, "run", "words"))
        #expect(has(run, "cached", "greet"))
    }

    @Test func sameDigestsForAnyJobs() throws {
        let a = sandbox(), b = sandbox()
        #expect(try a.loom("run", "dags/t.yaml", "-j", "1").status == 0)
        #expect(try b.loom("run", "dags/t.yaml", "-j", "2").status == 0)
        #expect(a.artifacts().count == 5)
        #expect(a.artifacts() == b.artifacts())
    }

    @Test func targetsAndForce() throws {
        let s = sandbox()
        let only = try s.loom("run", "dags/t.yaml", "squares")
        #expect(only.stdout.contains("2 ran, 0 cached"))
        let forced = try s.loom("run", "dags/t.yaml", "squares", "--force", "numbers")
        #expect(forced.lines.contains("run      numbers  (forced)"))
        // numbers produced the same bytes, so squares is cached (early cutoff).
        #expect(has(forced, "cached", "squares"))
        let typo = try s.loom("run", "dags/t.yaml", "squares", "--force", "numbrs")
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("--force 'numbrs' is not a task of dags/t.yaml (did you mean 'numbers'?)"))
    }

    @Test func dryRunTouchesNothing() throws {
        let s = sandbox()
        let dry = try s.loom("run", "dags/t.yaml", "--dry-run")
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("would run   numbers\n              - never run\n"))
        #expect(s.read("artifacts/state/t.tsv") == nil)
        #expect(!FileManager.default.fileExists(atPath: s.root + "/experiments"))
    }

    @Test func runRecordHasKeysStatusesReasonsAndMetrics() throws {
        let s = sandbox("""
        tasks:
          m:
            kind: shell
            cmd: |
              echo '{"auc": 0.75, "nested": {"n": 3}}' > $LOOM_OUT/metrics.json
        """)
        #expect(try s.loom("run", "dags/t.yaml", "--name", "first", "--tag", "nightly").status == 0)
        let r = try s.lastRun()
        #expect(r.status == .succeeded)
        #expect(r.name == "first" && r.tags == ["nightly"])
        let t = try #require(r.tasks.first)
        #expect(t.status == .ran && t.reasons == ["never run"] && t.key != nil && t.artifact != nil)
        #expect(t.metrics == ["auc": 0.75, "nested.n": 3])
        #expect(FileManager.default.fileExists(atPath: s.root + "/experiments/\(r.id)/logs/m.log"))
        let runs = try s.loom("runs")
        #expect(runs.stdout.contains(r.id.value) && runs.stdout.contains("first"))
        let show = try s.loom("show", "last")
        #expect(show.stdout.contains("auc = 0.75"))
    }

    @Test func builtinKindsRunInChildProcesses() throws {
        let s = sandbox("""
        params: {seed: 3}
        tasks:
          lines:
            kind: shell
            cmd: seq 1 100 > $LOOM_OUT/l.txt
          pick:
            kind: sample
            needs: [lines]
            params: {input: lines, file: l.txt, n: 4, seed: "{{params.seed}}"}
        """)
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        let first = s.read("artifacts/latest/t/pick/sample.txt")
        #expect(first?.split(separator: "\n").count == 4)
        let other = try s.loom("run", "dags/t.yaml", "-P", "seed=4")
        #expect(other.lines.contains("run      pick  (param 'seed' changed 3 -> 4)"))
        #expect(s.read("artifacts/latest/t/pick/sample.txt") != first)
    }

    @Test func tasksInheritNoDescriptorsOfLoom() throws {
        let s = sandbox("tasks:\n  fds: {kind: shell, cmd: 'exec ls /proc/self/fd > $LOOM_OUT/fds'}\n")
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        // 0-2 are /dev/null and the log; 3 is the directory ls itself opened to list.
        #expect(s.read("artifacts/latest/t/fds/fds") == "0\n1\n2\n3\n")
    }
}

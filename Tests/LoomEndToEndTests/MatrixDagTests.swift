import Foundation
import Testing
import LoomCore

/// Issue 14, task templates, with the real binary: one declaration over a grid, one instance
/// needed by name, all instances needed by the template's name, and the template's name as a
/// target on the command line.
@Suite(.serialized) struct MatrixDagTests {
    static let dag = """
    params: {scale: 10}
    tasks:
      fit:
        kind: shell
        matrix:
          model: [logistic, gbdt]
          seed: [1, 2]
        cmd: echo {{item.model}} {{item.seed}}x{{params.scale}} > $LOOM_OUT/fit.txt
      score:
        kind: shell
        matrix: {model: [logistic, gbdt]}
        needs: ["fit.{{item.model}}.2"]
        cmd: cp $LOOM_IN/fit.{{item.model}}.2/fit.txt $LOOM_OUT/score.txt
      compare:
        kind: shell
        needs: [score]
        cmd: cat $LOOM_IN/score.logistic/score.txt $LOOM_IN/score.gbdt/score.txt > $LOOM_OUT/all.txt

    """

    @Test func aGridRunsAsSeparateCachedTasks() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.dag)
        let first = try s.loom("run", "dags/t.yaml")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("7 ran, 0 cached"), "\(first.stdout)")
        #expect(s.read("artifacts/latest/t/compare/all.txt") == "logistic 2x10\ngbdt 2x10\n")
        #expect(s.read("artifacts/latest/t/fit.gbdt.1/fit.txt") == "gbdt 1x10\n")

        // One more value: only its instances run; the template's name selects all of them.
        s.write("dags/t.yaml", Self.dag.replacingOccurrences(of: "seed: [1, 2]", with: "seed: [1, 2, 3]"))
        let more = try s.loom("run", "dags/t.yaml", "fit")
        #expect(more.status == 0, "\(more.stderr)")
        #expect(more.stdout.contains("2 ran, 4 cached"), "\(more.stdout)")
        #expect(has(more, "done", "fit.logistic.3") && has(more, "done", "fit.gbdt.3"))

        // A value's change reruns what depends on it, nothing else.
        let status = try s.loom("status", "dags/t.yaml", "-P", "scale=100")
        #expect(status.stdout.contains("stale       fit.gbdt.2"), "\(status.stdout)")
        #expect(status.stdout.contains("9 stale"), "\(status.stdout)")

        let path = try s.loom("path", "dags/t.yaml", "score")
        #expect(path.status == 3 && path.stderr == "error: 'score' in dags/t.yaml is a task template (matrix) of 2 tasks; name one: score.logistic, score.gbdt\n", "\(path.stderr)")
        #expect(try s.loom("path", "dags/t.yaml", "score.gbdt").status == 0)
        let typo = try s.loom("run", "dags/t.yaml", "scor")
        #expect(typo.status == 2)
        #expect(typo.errors.contains("target 'scor' is not a task of dags/t.yaml (did you mean 'score'?)"), "\(typo.errors)")
    }

    @Test func templatesWorkWithBuiltInKinds() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          lines: {kind: shell, cmd: 'seq 1 50 > $LOOM_OUT/l.txt'}
          picked:
            kind: sample
            needs: [lines]
            matrix: {n: [3, 5]}
            params: {input: lines, file: l.txt, n: "{{item.n}}", seed: 7}

        """)
        let run = try s.loom("run", "dags/t.yaml")
        #expect(run.status == 0, "\(run.stderr)")
        let three = try #require(s.read("artifacts/latest/t/picked.3/sample.txt"))
        let five = try #require(s.read("artifacts/latest/t/picked.5/sample.txt"))
        #expect(three.split(separator: "\n").count == 3)
        #expect(five.split(separator: "\n").count == 5)
    }
}

/// Issue 14, the dry run that predicts the cost, with the real binary.
@Suite(.serialized) struct CostEstimateDagTests {
    @Test func statusAndDryRunPredictAndTheRecordKeepsTheEstimate() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        params: {k: 1}
        tasks:
          slow: {kind: shell, cmd: "sleep 0.4; head -c 5000 /dev/zero > $LOOM_OUT/z; echo {{params.k}} > $LOOM_OUT/k"}
          after: {kind: shell, needs: [slow], cmd: "sleep 0.2; cp $LOOM_IN/slow/k $LOOM_OUT/k"}

        """)
        let fresh = try s.loom("status", "dags/t.yaml")
        #expect(fresh.stdout.hasSuffix("0 up to date, 2 stale\nestimate: no stale task has run before (no history of durations yet)\n"), "\(fresh.stdout)")
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        // Another k: both tasks run again; their durations come from the first run (same task,
        // other key), the store growth from its artifacts.
        let dry = try s.loom("run", "dags/t.yaml", "-P", "k=2", "--dry-run", "-j", "1")
        let line = try #require(dry.lines.last)
        // The seconds are what the first run took: 0.6 s of sleeps plus whatever a loaded machine
        // adds (0.70 s was seen with the load average at 8), so they are read as numbers.
        func seconds(after marker: String, in text: String) -> Double? {
            guard let r = text.range(of: marker) else { return nil }
            return Double(text[r.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
        let about = seconds(after: "estimate: about ", in: line), critical = seconds(after: "(critical path ", in: line)
        #expect(line.hasPrefix("estimate: about ") && about.map { $0 >= 0.55 && $0 < 5 } == true, "\(dry.stdout)")
        #expect(line.contains("with -j 1 (critical path ") && critical == about, "\(line)")
        #expect(line.hasSuffix("s: slow -> after); the store grows by up to 4.9 KiB"), "\(line)")
        #expect(try s.loom("run", "dags/t.yaml", "-P", "k=2", "-q").status == 0)
        let record = try s.lastRun()
        let e = try #require(record.estimate)
        #expect(e.criticalPath == ["slow", "after"] && e.noHistory.isEmpty && e.bytes == 5004)
        #expect(e.seconds > 0.55 && e.seconds < 5, "\(e.seconds)")
        let show = try s.loom("show")
        #expect(seconds(after: "estimate: ", in: show.stdout).map { abs($0 - e.seconds) < 0.01 } == true, "\(show.stdout)")
        // A no-op run reads no history and records no estimate.
        #expect(try s.loom("run", "dags/t.yaml", "-P", "k=2", "-q").status == 0)
        #expect(try s.lastRun().estimate == nil)
    }
}

/// Issue 14, colour: on a terminal (a pseudo-terminal made by script(1)), run lines and status
/// words are coloured; NO_COLOR turns it off; piped output never has escape codes.
@Suite(.serialized) struct ColourDagTests {
    func underTerminal(_ s: Sandbox, _ command: String, noColour: Bool) throws -> String {
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm"
        env["NO_COLOR"] = noColour ? "1" : nil
        let (p, out, _) = try Child.start(["/usr/bin/script", "-qec", command, "/dev/null"], in: s.root, environment: env)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func colourOnATerminalOnly() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: 'echo > $LOOM_OUT/x'}\n")
        let loom = Sandbox.binary
        let coloured = try underTerminal(s, "\(loom) run dags/t.yaml", noColour: false)
        #expect(coloured.contains("\u{1B}[32mdone    \u{1B}[0m a"), "\(coloured.debugDescription)")
        #expect(coloured.contains("loom: \u{1B}[32msucceeded\u{1B}[0m: 1 ran"), "\(coloured.debugDescription)")
        let status = try underTerminal(s, "\(loom) status dags/t.yaml", noColour: false)
        #expect(status.contains("\u{1B}[32mup to date\u{1B}[0m  a"), "\(status.debugDescription)")
        let plain = try underTerminal(s, "\(loom) run dags/t.yaml --force a", noColour: true)
        #expect(plain.contains("done     a") && !plain.contains("\u{1B}[3"), "\(plain.debugDescription)")
        let piped = try s.loom("run", "dags/t.yaml", "--force", "a")
        #expect(!piped.stdout.contains("\u{1B}") && !piped.stderr.contains("\u{1B}"))
    }
}

/// Metric gates and `loom runs --exp` columns on template instances, whose names hold dots.
@Suite(.serialized) struct MatrixMetricTests {
    @Test func gatesReadMetricsOfInstances() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          score:
            kind: shell
            matrix: {model: [a, b]}
            cmd: "printf '{\\"auc\\": {\\"test\\": 0.7}}' > $LOOM_OUT/metrics.json"

        """)
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        let ok = try s.loom("run", "dags/t.yaml", "--force", "score.b", "--fail-if", "score.b.auc.test<0.5")
        #expect(ok.status == 0, "\(ok.stderr)")
        let gated = try s.loom("run", "dags/t.yaml", "--force", "score.b", "--fail-if", "score.b.auc.test<0.9")
        #expect(gated.status == 5, "\(gated.stdout)\(gated.stderr)")
        let typo = try s.loom("run", "dags/t.yaml", "--fail-if", "score.b.acu.test<0.9")
        #expect(typo.status != 0 && typo.stderr.contains("score.b.auc.test"), "\(typo.stderr)")
    }
}

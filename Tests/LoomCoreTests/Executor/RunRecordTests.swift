import Foundation
import Testing
@testable import LoomCore

@Suite struct RunRecordTests {
    /// A record with every optional field set, odd characters in names, and nested params.
    static func rich() -> RunRecord {
        var ran = TaskReport(name: "train \"gbdt\"", kind: "train", status: .ran, reasons: ["param 'k' changed 4 -> 5", "tab\there"])
        ran.key = CacheKey(Digest(of: "k"))
        ran.artifact = Digest(of: "a")
        ran.start = 0.0123456
        ran.duration = 1.5
        ran.attempts = 2
        ran.metrics = ["auc": 0.75, "Zeta": -1e-9, "n": 3, "b.a": 1e300]
        ran.log = "logs/train.log"
        ran.manifest = KeyManifest(kind: "train", kindVersion: 3, params: ["k": .int(5), "xs": .list([.float(0.5), .string("é")])],
                                   inputs: ["data": Digest(of: "d")], files: ["data/raw.csv": Digest(of: "f")], env: ["A": "1"],
                                   outputs: ["model.json"], command: nil)
        var failed = TaskReport(name: "eval", kind: "shell", status: .failed)
        failed.outcome = "exit 3"
        failed.error = "boom\n"
        let skipped = TaskReport(name: "report", kind: "report", status: .skipped, reasons: ["not started"])
        var r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "dags/x y.yaml", dagName: "x y", dagDigest: Digest(of: "x"),
                          params: ["k": .int(5), "name": .string("a\"b"), "grid": .map(["b": .bool(true), "a": .list([])])],
                          jobs: 4, startedAt: Date(timeIntervalSince1970: 1_790_000_000.25), status: .failed, tasks: [ran, failed, skipped])
        r.name = "nightly"
        r.tags = ["b", "a"]
        r.overrides = ["k"]
        r.targets = ["eval"]
        r.forced = ["train \"gbdt\""]
        r.duration = 2.0004
        r.sweep = "20261123-010203-000-00"
        r.gateFailures = ["eval.auc < 0.8"]
        return r
    }

    /// The direct writer gives exactly the canonical encoding (keys in byte order, same number
    /// and string forms) that `JSON` would give for the parsed value; pretty, the same value with
    /// each task on one line.
    @Test(arguments: [true, false]) func directEncodingIsCanonical(pretty: Bool) throws {
        for r in [Self.rich(), RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""),
                                         params: [:], jobs: 1, startedAt: Date(timeIntervalSince1970: 0), status: .running, tasks: [])] {
            let bytes = r.encoded(pretty: pretty)
            let compact = r.encoded(pretty: false)
            #expect(try JSON.parse(compact).encodedBytes(pretty: false) == compact)
            #expect(try JSON.parse(bytes) == JSON.parse(compact))
            if pretty {
                let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                #expect(lines.filter { $0.hasPrefix("    {\"") }.count == r.tasks.count, "one line per task")
            }
        }
    }

    /// A run's first record is renamed into place (a crash while writing leaves a temporary
    /// file, never a torn `run.json`), and so is every later save: the directory ends with
    /// `run.json` alone, the record as saved last.
    @Test func recordsAreRenamedIntoPlace() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let runs = RunStore(root: dir.path + "/experiments")
        var r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""),
                          params: [:], jobs: 1, startedAt: Date(timeIntervalSince1970: 0), status: .running, tasks: [])
        try runs.create(r)
        let runDir = dir.path + "/experiments/" + r.id.value
        #expect(try FileSystem.listDirectory(runDir) == ["run.json"])
        #expect(try runs.load(r.id).status == .running)
        #expect(throws: (any Error).self) { try runs.create(r) }   // never over a record
        #expect(try FileSystem.listDirectory(runDir) == ["run.json"])
        r.status = .succeeded
        try runs.save(r)
        #expect(try FileSystem.listDirectory(runDir) == ["run.json"])
        #expect(try runs.load(r.id).status == .succeeded)
    }

    /// Fields at their defaults are left out of a task's line and read back as the defaults.
    @Test func defaultsAreLeftOut() throws {
        var t = TaskReport(name: "a", kind: "shell", status: .cached)
        t.key = CacheKey(Digest(of: "k"))
        var r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""),
                          params: [:], jobs: 1, startedAt: Date(timeIntervalSince1970: 0), status: .succeeded, tasks: [t])
        let text = String(decoding: r.encoded(pretty: true), as: UTF8.self)
        #expect(!text.contains("attempts") && !text.contains("metrics") && !text.contains("reasons"))
        let back = try #require(RunRecord(json: try JSON.parse(Array(text.utf8))))
        #expect(back.tasks[0].attempts == 0 && back.tasks[0].metrics.isEmpty && back.tasks[0].reasons.isEmpty)
        r.tasks[0].attempts = 2
        #expect(String(decoding: r.encoded(pretty: true), as: UTF8.self).contains(#""attempts":2"#))
    }

    @Test func roundTrip() throws {
        let r = Self.rich()
        let back = try #require(RunRecord(json: try JSON.parse(r.encoded(pretty: true))))
        #expect(back.encoded(pretty: true) == r.encoded(pretty: true))
        #expect(back.tasks.map(\.name) == ["train \"gbdt\"", "eval", "report"])
        #expect(back.tasks[0].metrics == ["auc": 0.75, "Zeta": -1e-9, "n": 3, "b.a": 1e300])
        #expect(back.tasks[0].manifest?.key == r.tasks[0].manifest?.key)
        #expect(back.tasks[0].start == 0.012 && back.duration == 2.0)
        #expect(back.gateFailures == ["eval.auc < 0.8"] && back.sweep == r.sweep && back.name == "nightly")
    }

    /// One word for a run whose gate failed, in the record and in its index line; records written
    /// before the word existed (`succeeded` with `gateFailures`) read as `gate-failed` too.
    @Test func aFailedGateIsOneStatusWord() throws {
        var r = Self.rich()
        r.status = .gateFailed
        let text = String(decoding: r.encoded(pretty: false), as: UTF8.self)
        #expect(text.contains("\"status\":\"gate-failed\""))
        #expect(RunRecord(json: try JSON.parse(r.encoded(pretty: false)))?.status == .gateFailed)
        #expect(RunSummary(json: RunSummary(r).json)?.status == .gateFailed)
        r.status = .succeeded
        #expect(RunRecord(json: try JSON.parse(r.encoded(pretty: false)))?.status == .gateFailed, "an older record")
        #expect(RunSummary(json: RunSummary(r).json)?.status == .gateFailed, "an older index line")
        r.gateFailures = []
        #expect(RunRecord(json: try JSON.parse(r.encoded(pretty: false)))?.status == .succeeded)
        #expect(RunRecord.Status.allCases.map(\.rawValue) == ["running", "succeeded", "gate-failed", "failed", "interrupted", "crashed"])
    }
}

@Suite struct RunReportTests {
    /// Past `maxDrawnTasks`, cache hits without metrics are listed by name instead of one row each.
    @Test func largeRunsListPlainCacheHitsByName() {
        var tasks = (0..<(RunReport.maxDrawnTasks + 5)).map { i -> TaskReport in TaskReport(name: "t\(i)", kind: "shell", status: .cached) }
        tasks[1].metrics = ["auc": 0.5]
        tasks[2].status = .ran
        tasks[2].duration = 1.234
        tasks[3].name = "<b>"
        let r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""), params: [:], jobs: 1,
                          startedAt: Date(timeIntervalSince1970: 0), status: .succeeded, tasks: tasks)
        let html = RunReport.html(r, needs: [:])
        #expect(html.components(separatedBy: "<tr>").count - 1 == 3, "header, the task with metrics, the task that ran")
        #expect(html.contains("<td>1.23 s</td>") && html.contains("auc = 0.5"))
        #expect(html.contains("\(tasks.count - 2) more tasks were cache hits without metrics: t0, &lt;b&gt;, t4, "))
        let small = RunRecord(id: r.id, dagPath: "d", dagName: "d", dagDigest: r.dagDigest, params: [:], jobs: 1,
                              startedAt: r.startedAt, status: .succeeded, tasks: Array(tasks.prefix(4)))
        #expect(RunReport.html(small, needs: [:]).components(separatedBy: "<tr>").count - 1 == 5)
    }

    /// Issue 14: a wide DAG (55 tasks) is drawn at its natural size in a scrolling box, not shrunk
    /// to the page, and names of template instances (`evaluate.random_forest`) fit their boxes.
    @Test func wideDAGsScrollAndKeepTheirLabels() {
        let names = ["source"] + (0..<54).map { "evaluate.random_forest_\($0)" }
        let tasks = names.map { TaskReport(name: $0, kind: "shell", status: .ran) }
        let r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""), params: [:], jobs: 1,
                          startedAt: Date(timeIntervalSince1970: 0), status: .succeeded, tasks: tasks)
        let svg = RunReport.dagSVG(r, needs: Dictionary(uniqueKeysWithValues: names.dropFirst().map { ($0, ["source"]) }))
        #expect(svg.hasPrefix("<div style=\"overflow:auto;") && !svg.contains("max-width:100%"))
        #expect(svg.contains(">evaluate.random_forest_53</text>"))
        // 25 characters at 7 px, 16 px of padding: boxes of 191 px; two layers and a 40 px gap; 54 rows of 42 px.
        #expect(svg.contains("width=\"422\" height=\"2268\""))
        let long = String(repeating: "n", count: 50)
        let one = RunRecord(id: r.id, dagPath: "d", dagName: "d", dagDigest: r.dagDigest, params: [:], jobs: 1, startedAt: r.startedAt,
                            status: .succeeded, tasks: [TaskReport(name: long, kind: "shell", status: .ran)])
        #expect(RunReport.dagSVG(one, needs: [:]).contains(">\(String(repeating: "n", count: 35))…</text>"))
    }

    /// The DAG drawing, byte for byte, for names that need escaping, are not ASCII or are cut, in
    /// three layers (pinned when the drawing moved from string interpolation to bytes).
    @Test func dagDrawingByteForByte() {
        let long = "n" + String(repeating: "é", count: 39)
        var tasks = ["a", "b&c", "\"q\"<x>", long].map { TaskReport(name: $0, kind: "shell", status: .cached) }
        tasks[1].status = .ran
        tasks[2].status = .failed
        tasks[3].status = .skipped
        let r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""), params: [:], jobs: 1,
                          startedAt: Date(timeIntervalSince1970: 0), status: .failed, tasks: tasks)
        let svg = RunReport.dagSVG(r, needs: ["b&c": ["a"], "\"q\"<x>": ["a", "missing"], long: ["b&c", "\"q\"<x>"]])
        #expect(svg == ##"<div style="overflow:auto;max-height:80vh;border:1px solid #eee"><svg xmlns="http://www.w3.org/2000/svg" width="884" height="84" font-size="12"><path d="M268,15 C288,15 288,15 308,15" fill="none" stroke="#999"/><path d="M268,15 C288,15 288,57 308,57" fill="none" stroke="#999"/><path d="M576,15 C596,15 596,15 616,15" fill="none" stroke="#999"/><path d="M576,57 C596,57 596,15 616,15" fill="none" stroke="#999"/><g><title>a: cached</title><rect x="0" y="0" width="268" height="30" rx="5" fill="#90a4ae"/><text x="7" y="19" fill="#fff">a</text></g><g><title>b&amp;c: ran</title><rect x="308" y="0" width="268" height="30" rx="5" fill="#4caf50"/><text x="315" y="19" fill="#fff">b&amp;c</text></g><g><title>&quot;q&quot;&lt;x&gt;: failed</title><rect x="308" y="42" width="268" height="30" rx="5" fill="#e53935"/><text x="315" y="61" fill="#fff">&quot;q&quot;&lt;x&gt;</text></g><g><title>nééééééééééééééééééééééééééééééééééééééé: skipped</title><rect x="616" y="0" width="268" height="30" rx="5" fill="#ffb74d"/><text x="623" y="19" fill="#fff">néééééééééééééééééééééééééééééééééé…</text></g></svg></div>"##)
    }

    /// The params and provenance lines, written as bytes, are what joining them gave.
    @Test func headerLinesAreTheJoinedLines() {
        var r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""),
                          params: ["b": .int(2), "a<": .string("x&y"), "é": .list([.int(1)])], jobs: 1,
                          startedAt: Date(timeIntervalSince1970: 0), status: .succeeded, tasks: [])
        r.host = "h\"1"
        r.provenance = Provenance(loomVersion: "1.<2>", loomBuild: "abc", user: "u&v",
                                  git: GitState(commit: String(repeating: "f", count: 40), branch: "main", dirty: true))
        let esc = RunReport.esc
        let expected = "<p>params: " + r.params.keys.sorted().map { "<code>\(esc($0))=\(esc(r.params[$0]!.canonical))</code>" }.joined(separator: " ") + "</p>"
            + "<p class=\"muted\">" + (r.provenance!.lines.map { "\(esc($0.field)) \(esc($0.value))" } + ["host \(esc(r.host))"]).joined(separator: " · ") + "</p>"
        #expect(RunReport.headerLines(r) == expected)
        r.params = [:]
        r.provenance = nil
        #expect(RunReport.headerLines(r) == "")
    }

    @Test func htmlBytesWriteIntegersAndEscapes() {
        var b = HTMLBytes(capacity: 0)
        for n in [0, 7, 10, -1, -305, Int.max, Int.min] { b.put(n); b.put(" ") }
        b.putEscaped("a&<\">é")
        #expect(b.string == "0 7 10 -1 -305 \(Int.max) \(Int.min) a&amp;&lt;&quot;&gt;é")
        #expect(RunReport.esc("plain") == "plain" && RunReport.esc("<b>") == "&lt;b&gt;")
    }

    /// An all-cached run has no timeline of "0 s ... 0.00 s"; a fast one's axis is in milliseconds.
    @Test func timelinesOfCachedAndFastRuns() {
        var hit = TaskReport(name: "a", kind: "shell", status: .cached)
        hit.start = 0.001
        var r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""), params: [:], jobs: 1,
                          startedAt: Date(timeIntervalSince1970: 0), status: .succeeded, tasks: [hit])
        r.duration = 0.0042
        #expect(RunReport.timelineSVG(r) == "<p class=\"muted\">every task was a cache hit; the run took 4 ms</p>")
        var ran = TaskReport(name: "b", kind: "shell", status: .ran)
        ran.start = 0.002
        ran.duration = 0.2
        r.tasks.append(ran)
        r.duration = 0.25
        #expect(RunReport.timelineSVG(r).contains(">250 ms</text></svg>"))
        r.duration = 12.345
        #expect(RunReport.timelineSVG(r).contains(">12.35 s</text></svg>") || RunReport.timelineSVG(r).contains(">12.34 s</text></svg>"))
    }

    /// A failed task's log tail is under its row, escaped (a log is the task's text, not HTML).
    @Test func aFailedTasksLogTailIsShownEscaped() {
        var t = TaskReport(name: "bad", kind: "shell", status: .failed)
        t.log = "logs/bad.log"
        let r = RunRecord(id: RunID("20261123-010203-004-ab"), dagPath: "d", dagName: "d", dagDigest: Digest(of: ""), params: [:], jobs: 1,
                          startedAt: Date(timeIntervalSince1970: 0), status: .failed, tasks: [t])
        let html = RunReport.html(r, needs: [:], logTails: ["bad": ["<script>alert(1)</script>", "exit 3"]])
        #expect(html.contains("<pre>&lt;script&gt;alert(1)&lt;/script&gt;\nexit 3\n</pre>"))
        #expect(!html.contains("<script>"))
    }
}

@Suite struct NumberTextTests {
    /// `fixed` is printf's `%.Nf` for the values Loom prints, without Foundation's formatter.
    @Test func fixedMatchesPrintf() {
        var values: [Double] = [0, 0.004, 0.005, 0.015, 0.125, 0.994999, 0.995, 1, 9.999, 12.5, 599.95, 1234.5678, 1e9 + 0.5, -0.004, -3.14159]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 { values.append(Double.random(in: 0..<1000, using: &rng)) }
        for v in values {
            for digits in 0...3 {
                // Exact binary halves (0.125) are where round-half-even and half-away differ; printf
                // rounds the exact binary value, so only values that are not exact ties compare.
                let scaled = abs(v) * pow(10, Double(digits))
                if scaled - scaled.rounded(.down) == 0.5 { continue }
                #expect(NumberText.fixed(v, digits) == String(format: "%.\(digits)f", v), "\(v) \(digits)")
            }
        }
    }
}

import ArgumentParser
import Foundation
import LoomCore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List recorded runs, newest first; --exp for an experiment table (params beside metrics).",
        discussion: """
            Filters combine: --dag, --name, --tag (repeatable: runs with every tag), --sweep, --status, --since. \
            Runs given -P values (sweep points among them) show them in a PARAMS column. --exp shows a column per \
            param (--params, or every param whose value differs among the listed runs) and per metric (--metrics, \
            or every metric whose value differs), as `dvc exp show` does. --sort-by orders by a metric (task.metric) \
            or a param; runs without it come last. With --exp, a COMMIT column names the git commit of runs that \
            recorded one. --json prints typed param values and metrics.
            """)

    @OptionGroup var project: ProjectOptions
    @Option(help: "Only runs of this DAG (path or name).") var dag: String?
    @Option(help: "Only runs that started at or after this date (yyyy-mm-dd, UTC) or this many days ago (e.g. 7d).") var since: String?
    @Option(help: ArgumentHelp("Only runs with this status: \(RunRecord.Status.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "status")) var status: String?
    @Option(help: "Only the runs of this sweep.") var sweep: String?
    @Option(help: "Only runs with this --name.") var name: String?
    @Option(help: "Only runs with this tag (repeatable: every tag).") var tag: [String] = []
    @Option(help: "Headline metrics to show as columns, comma-separated (task.metric).") var metrics: String?
    @Option(help: "Params to show as columns, comma-separated.") var params: String?
    @Flag(help: "Experiment table: params and metrics as columns (those that differ among the runs, unless --params / --metrics).") var exp = false
    @Option(help: ArgumentHelp("Order by this metric (task.metric) or param.", valueName: "name")) var sortBy: String?
    @Option(help: ArgumentHelp("With --sort-by: asc or desc.", valueName: "order")) var sortOrder: String = "asc"
    @Option(help: "Show at most this many runs.") var limit: Int = 20
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let status, RunRecord.Status(rawValue: status) == nil {
            let valid = RunRecord.Status.allCases.map(\.rawValue)
            let hint = Suggestion.closest(to: status, in: valid).map { " (did you mean '\($0)'?)" } ?? ""
            throw ValidationError("unknown --status '\(status)'\(hint); valid: \(valid.joined(separator: ", "))")
        }
        if sortOrder != "asc" && sortOrder != "desc" { throw ValidationError("--sort-order takes asc or desc, got '\(sortOrder)'") }
        if limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        let console = Console()
        var records = RunQuery(store: try project.project.runs).all(dag: dag)
        if let since {
            guard let cutoff = Self.parseSince(since) else { throw CLIExit(.usage, "--since takes yyyy-mm-dd or Nd, got '\(since)'") }
            records = records.filter { $0.startedAt >= cutoff }
        }
        if let status { records = records.filter { $0.status.rawValue == status } }
        if let sweep { records = records.filter { $0.sweep == sweep } }
        if let name { records = records.filter { $0.name == name } }
        if !tag.isEmpty { records = records.filter { r in tag.allSatisfy(r.tags.contains) } }
        var newestFirst = Array(records.reversed())
        if let sortBy { newestFirst = try RunTable.sorted(newestFirst, by: sortBy, descending: sortOrder == "desc") }
        let shown = Array(newestFirst.prefix(limit))
        if json {
            console.out(JSON.array(shown.map(RunTable.json)).encoded(pretty: true))
            return
        }
        if shown.isEmpty { console.out("no runs"); return }
        let table = RunTable(runs: shown, params: Self.list(params), metrics: Self.list(metrics), experiment: exp)
        for line in Table.render(table.rows) { console.out(line) }
    }

    static func list(_ s: String?) -> [String]? {
        s.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    static func parseSince(_ s: String) -> Date? {
        if s.hasSuffix("d"), let days = Double(s.dropLast()) { return Date().addingTimeInterval(-days * 86400) }
        return UTCTime.parse(s)
    }

    static func shortDate(_ d: Date) -> String { UTCTime(d).short }
}

/// The rows of `loom runs`: the run list, or with `experiment` the experiment table.
struct RunTable {
    let runs: [RunSummary]
    let paramColumns: [String]
    let metricColumns: [String]
    let experiment: Bool

    init(runs: [RunSummary], params: [String]?, metrics: [String]?, experiment: Bool) {
        self.runs = runs
        self.experiment = experiment
        if experiment {
            paramColumns = params ?? Self.varying(runs.map(\.params))
            metricColumns = metrics ?? Self.varying(runs.map { $0.metrics.mapValues(formatNumber) })
        } else {
            paramColumns = params ?? []
            metricColumns = metrics ?? []
        }
    }

    /// Names whose value differs among the runs (present in some and not others counts); with a
    /// single run, or when nothing differs, every name.
    static func varying(_ values: [[String: String]]) -> [String] {
        let names = Set(values.flatMap(\.keys)).sorted(by: JSON.byteOrder)
        let differing = names.filter { n in Set(values.map { $0[n] ?? "\u{0}" }).count > 1 }
        return differing.isEmpty ? names : differing
    }

    var rows: [[String]] {
        // A run given -P values (a sweep point, say) shows them, unless its params have columns.
        let showOverrides = paramColumns.isEmpty && runs.contains { !$0.overrides.isEmpty }
        // The experiment table names the commit each run ran at, as dvc's names each experiment's.
        let showCommit = experiment && runs.contains { $0.commit != nil }
        var header = experiment ? ["ID", "STATUS", "DAG", "STARTED"] : ["ID", "STATUS", "DAG", "STARTED", "TIME", "RAN", "CACHED", "FAILED"]
        if showCommit { header.append("COMMIT") }
        if showOverrides { header.append("PARAMS") }
        var rows = [header + paramColumns + metricColumns + ["NAME"]]
        for r in runs {
            var name = r.name ?? ""
            if !r.tags.isEmpty { name += (name.isEmpty ? "" : " ") + r.tags.map { "#" + $0 }.joined(separator: " ") }
            var row = [r.id.value, r.status.rawValue, r.dagName, Runs.shortDate(r.startedAt)]
            if !experiment {
                row += [Console.seconds(r.duration), String(r.count(.ran)), String(r.count(.cached)), String(r.count(.failed))]
            }
            if showCommit { row.append(r.commit.map { String($0.prefix(8)) } ?? "-") }
            if showOverrides {
                row.append(r.overrides.sorted(by: JSON.byteOrder).map { "\($0)=\(r.paramValues[$0]?.plainText ?? "?")" }.joined(separator: " "))
            }
            row += paramColumns.map { r.paramValues[$0]?.plainText ?? "-" }
            row += metricColumns.map { c in r.metric(c).map(formatNumber) ?? "-" }
            rows.append(row + [name])
        }
        return rows
    }

    /// Runs ordered by a metric or a param (numbers by value, other params by canonical text);
    /// runs without it last, in their order. An unknown name is an error with "did you mean".
    static func sorted(_ runs: [RunSummary], by key: String, descending: Bool) throws -> [RunSummary] {
        let metricNames = Set(runs.flatMap(\.metrics.keys)), paramNames = Set(runs.flatMap(\.paramValues.keys))
        enum Value { case number(Double), text(String) }
        let value: (RunSummary) -> Value?
        if metricNames.contains(key) {
            value = { $0.metric(key).map(Value.number) }
        } else if paramNames.contains(key) {
            value = { r in
                switch r.paramValues[key] {
                case .int(let i)?: return .number(Double(i))
                case .float(let d)?: return .number(d)
                case let v?: return .text(v.canonical)
                case nil: return nil
                }
            }
        } else {
            let hint = Suggestion.closest(to: key, in: (metricNames.union(paramNames)).sorted()).map { " (did you mean '\($0)'?)" } ?? ""
            throw CLIExit(.usage, "--sort-by '\(key)': no listed run has a metric or param of that name\(hint)")
        }
        func less(_ a: Value, _ b: Value) -> Bool {
            switch (a, b) {
            case let (.number(x), .number(y)): return x < y
            case let (.text(x), .text(y)): return x < y
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
        let with = runs.enumerated().compactMap { i, r in value(r).map { (i, r, $0) } }
        let without = runs.filter { value($0) == nil }
        let ordered = with.sorted { a, b in
            if less(a.2, b.2) { return !descending }
            if less(b.2, a.2) { return descending }
            return a.0 < b.0
        }
        return ordered.map(\.1) + without
    }

    /// A run as `--json` prints it: the index's summary with params typed (`k: 5`, not `"5"`).
    static func json(_ r: RunSummary) -> JSON {
        guard case .object(var o) = r.json else { return r.json }
        o["params"] = .object(r.paramValues.mapValues(\.json))
        o["paramValues"] = nil
        o["format"] = nil
        return .object(o)
    }
}

/// Numbers for tables (the same text as the run report's).
func formatNumber(_ d: Double) -> String { NumberText.metric(d) }

/// Left-aligned text columns separated by two spaces; trailing spaces trimmed.
enum Table {
    static func render(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (c, cell) in row.enumerated() { line += Console.pad(cell, widths[c]) + (c == row.count - 1 ? "" : "  ") }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print one recorded run: params, and per task status, reasons, times, metrics.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: ArgumentHelp("A run id, a unique prefix of one, a run name, 'last' or 'last~N'.", valueName: "run")) var reference: String = "last"
    @Flag(help: "Print the run record as JSON.") var json = false

    func run() throws {
        let console = Console()
        let query = RunQuery(store: try project.project.runs)
        let r: RunRecord
        do { r = try query.store.load(try query.resolve(reference, in: query.all()).id) } catch let e as RunQuery.Problem {
            throw CLIExit(.usage, e.description)
        }
        if json { console.out(String(decoding: r.encoded(pretty: true), as: UTF8.self)); return }
        console.out("run \(r.id)\(r.name.map { " (\($0))" } ?? "")  \(r.status.rawValue)  \(Console.seconds(r.duration))  -j \(r.jobs)")
        console.out("dag \(r.dagPath)  \(r.dagDigest.short)" + (r.provenance?.dagText.map { "  (text: experiments/\($0))" } ?? ""))
        if let p = r.provenance {
            for (field, value) in p.lines { console.out("\(field) \(value)") }
        }
        console.out("host \(r.host)" + (r.rerunOf.map { "  rerun of \($0)" } ?? ""))
        if !r.params.isEmpty {
            console.out("params: " + r.params.keys.sorted().map { "\($0)=\(r.params[$0]!.canonical)" }.joined(separator: " "))
        }
        if let e = r.estimate {
            var line = "estimate: \(Console.seconds(e.seconds)) with -j \(e.jobs), took \(Console.seconds(r.duration))"
            if let b = e.bytes { line += "; store growth up to \(bytes(b))" }
            if !e.noHistory.isEmpty { line += "; no history for \(e.noHistory.count) task\(e.noHistory.count == 1 ? "" : "s")" }
            console.out(line)
        }
        for g in r.gateFailures { console.out("gate: \(g)") }
        for t in r.tasks {
            console.out("  \(Console.pad(t.status.rawValue, 8)) \(Console.pad(t.name, 24)) \(Console.pad(Console.seconds(t.duration), 8)) \(t.artifact?.short ?? "")")
            for reason in t.reasons where t.status == .ran || t.status == .failed { console.out("             - \(reason)") }
            if let e = t.error ?? t.outcome, t.status == .failed { console.out("             ! \(e)") }
            for k in t.metrics.keys.sorted() { console.out("             \(k) = \(formatNumber(t.metrics[k]!))") }
        }
    }
}

import ArgumentParser
import Foundation
import LoomCore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List recorded runs, newest first.")

    @OptionGroup var project: ProjectOptions
    @Option(help: "Only runs of this DAG (path or name).") var dag: String?
    @Option(help: "Only runs that started at or after this date (yyyy-mm-dd, UTC) or this many days ago (e.g. 7d).") var since: String?
    @Option(help: ArgumentHelp("Only runs with this status: \(RunRecord.Status.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "status")) var status: String?
    @Option(help: "Only the runs of this sweep.") var sweep: String?
    @Option(help: "Headline metrics to show as columns, comma-separated (task.metric).") var metrics: String?
    @Option(help: "Show at most this many runs.") var limit: Int = 20
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let status, RunRecord.Status(rawValue: status) == nil {
            let valid = RunRecord.Status.allCases.map(\.rawValue)
            let hint = Suggestion.closest(to: status, in: valid).map { " (did you mean '\($0)'?)" } ?? ""
            throw ValidationError("unknown --status '\(status)'\(hint); valid: \(valid.joined(separator: ", "))")
        }
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
        let shown = Array(records.reversed().prefix(limit))
        let columns = (metrics ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        if json {
            console.out(JSON.array(shown.map(\.json)).encoded(pretty: true))
            return
        }
        if shown.isEmpty { console.out("no runs"); return }
        var rows = [["ID", "STATUS", "DAG", "STARTED", "TIME", "RAN", "CACHED", "FAILED"] + columns + ["NAME"]]
        for r in shown {
            let status = r.status.rawValue
            var name = r.name ?? ""
            if !r.tags.isEmpty { name += (name.isEmpty ? "" : " ") + r.tags.map { "#" + $0 }.joined(separator: " ") }
            rows.append([r.id.value, status, r.dagName, Self.shortDate(r.startedAt), Console.seconds(r.duration),
                         String(r.count(.ran)), String(r.count(.cached)), String(r.count(.failed))]
                        + columns.map { c in r.metric(c).map(formatNumber) ?? "-" } + [name])
        }
        for line in Table.render(rows) { console.out(line) }
    }

    static func parseSince(_ s: String) -> Date? {
        if s.hasSuffix("d"), let days = Double(s.dropLast()) { return Date().addingTimeInterval(-days * 86400) }
        return UTCTime.parse(s)
    }

    static func shortDate(_ d: Date) -> String { UTCTime(d).short }
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
        console.out("dag \(r.dagPath)  \(r.dagDigest.short)")
        if !r.params.isEmpty {
            console.out("params: " + r.params.keys.sorted().map { "\($0)=\(r.params[$0]!.canonical)" }.joined(separator: " "))
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

import ArgumentParser
import Foundation
import LoomCore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List recorded runs, newest first.")

    @OptionGroup var project: ProjectOptions
    @Option(help: "Show at most this many runs.") var limit: Int = 20
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let console = Console()
        let store = project.project.runs
        let records = store.ids().reversed().prefix(limit).compactMap { try? store.load($0) }
        if json {
            console.out(JSON.array(records.map(\.json)).encoded(pretty: true))
            return
        }
        if records.isEmpty { console.out("no runs recorded under \(store.root)"); return }
        console.out("ID                    STATUS       DAG               RAN CACHED FAILED  DURATION  NAME")
        for r in records {
            console.out("\(Console.pad(r.id.value, 21)) \(Console.pad(r.status.rawValue, 12)) \(Console.pad(r.dagName, 17)) "
                + "\(Console.pad(String(r.count(.ran)), 3)) \(Console.pad(String(r.count(.cached)), 6)) \(Console.pad(String(r.count(.failed)), 6))  "
                + "\(Console.pad(Console.seconds(r.duration), 8))  \(r.name ?? "")")
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print one recorded run: params, and per task status, reasons, times, metrics.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: ArgumentHelp("A run id, a unique prefix of one, or 'last'.", valueName: "run")) var reference: String = "last"
    @Flag(help: "Print the run record as JSON.") var json = false

    func run() throws {
        let console = Console()
        let store = project.project.runs
        let ids = store.ids()
        let matches = reference == "last" ? Array(ids.suffix(1)) : ids.filter { $0.value.hasPrefix(reference) }
        guard matches.count == 1 else {
            throw CLIExit(.usage, matches.isEmpty ? "no run '\(reference)' under \(store.root)" : "'\(reference)' matches \(matches.count) runs; give more of the id")
        }
        let r = try store.load(matches[0])
        if json { console.out(r.json.encoded(pretty: true)); return }
        console.out("run \(r.id)\(r.name.map { " (\($0))" } ?? "")  \(r.status.rawValue)  \(Console.seconds(r.duration))  -j \(r.jobs)")
        console.out("dag \(r.dagPath)  \(r.dagDigest.short)")
        if !r.params.isEmpty {
            console.out("params: " + r.params.keys.sorted().map { "\($0)=\(r.params[$0]!.canonical)" }.joined(separator: " "))
        }
        for t in r.tasks {
            console.out("  \(Console.pad(t.status.rawValue, 8)) \(Console.pad(t.name, 24)) \(Console.pad(Console.seconds(t.duration), 8)) \(t.artifact?.short ?? "")")
            for reason in t.reasons where t.status == .ran || t.status == .failed { console.out("             - \(reason)") }
            if let e = t.error ?? t.outcome, t.status == .failed { console.out("             ! \(e)") }
            for k in t.metrics.keys.sorted() { console.out("             \(k) = \(JSON.format(t.metrics[k]!))") }
        }
    }
}

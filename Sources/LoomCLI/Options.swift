import ArgumentParser
import Foundation
import LoomCore

/// `-C DIR`, which every command takes (also before the command's name: `LoomMain` moves it
/// after the name, so both places mean the same).
struct ProjectOptions: ParsableArguments {
    @Option(name: [.customShort("C"), .customLong("directory")],
            help: ArgumentHelp("Act as if loom was started in DIR (repeatable: a relative DIR is relative to the one before); a command that needs a project finds it from there by walking up to loom.yaml.", valueName: "DIR"))
    var directory: [String] = []

    /// The project this command acts on (printing the warning for a project without `loom.yaml`).
    func locate() throws -> ProjectRoot { try ProjectRoot.locate(directory) }

    var project: Project { get throws { try locate().project } }
}

struct DAGOptions: ParsableArguments {
    @Argument(help: "The DAG: a file, looked for from where loom started, then the project root, then its dags/; or a name (demo is dags/demo.yaml).",
              completion: Completion.dagFiles)
    var dag: String

    @Option(name: .customShort("P"), help: ArgumentHelp("Override a DAG param: -P name=value (typed like its default; lists as [a, b]).", valueName: "name=value"))
    var params: [String] = []

    func overrides() throws -> [(name: String, value: String)] { try Self.overrides(params) }

    /// Checks every -P (its form and its sweep) so that a mistake is reported with the command's
    /// own usage, before anything is read.
    func validate() throws { _ = try Sweep.points(try overrides()) }

    /// `-P name=value` texts as (name, value) pairs.
    static func overrides(_ params: [String]) throws -> [(name: String, value: String)] {
        try params.map { p in
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                throw ValidationError("-P takes name=value (e.g. -P n=5), got '\(p)'")
            }
            return (String(p[..<eq]), String(p[p.index(after: eq)...]))
        }
    }
}

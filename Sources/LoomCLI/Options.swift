import ArgumentParser
import Foundation
import LoomCore

/// Options every command that reads a DAG shares.
struct ProjectOptions: ParsableArguments {
    @Option(name: [.customShort("C"), .customLong("directory")], help: "The project root (default: the current directory).")
    var directory: String?

    var project: Project { Project(root: directory ?? FileSystem.currentDirectory) }
}

struct DAGOptions: ParsableArguments {
    @Argument(help: "The DAG file, e.g. dags/demo.yaml.")
    var dag: String

    @Option(name: .customShort("P"), help: ArgumentHelp("Override a DAG param: -P name=value (typed like its default; lists as [a, b]).", valueName: "name=value"))
    var params: [String] = []

    func overrides() throws -> [(name: String, value: String)] { try Self.overrides(params) }

    /// `-P name=value` texts as (name, value) pairs.
    static func overrides(_ params: [String]) throws -> [(name: String, value: String)] {
        try params.map { p in
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                throw ValidationError("-P takes name=value, got '\(p)'")
            }
            return (String(p[..<eq]), String(p[p.index(after: eq)...]))
        }
    }
}

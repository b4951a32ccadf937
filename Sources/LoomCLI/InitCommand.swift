import ArgumentParser
import Foundation
import LoomCore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make DIR (default: the current directory) a Loom project: loom.yaml, dags/ with an example DAG, artifacts/, experiments/, .gitignore.",
        discussion: "Safe to run again: existing files are kept, never overwritten, and each is listed as kept. The example DAG (dags/example.yaml) is added only when dags/ holds no DAG. An existing .gitignore is not changed; if it does not ignore artifacts/ and experiments/, the lines to add are printed.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: ArgumentHelp("The project directory (created if missing; relative to -C DIR if given).", valueName: "DIR")) var directory: String?

    func run() throws {
        let start = try ProjectRoot.startDirectory(project.directory)
        let target = FileSystem.absolute(directory ?? ".", base: start)
        let console = Console()
        for line in try ProjectLayout(root: target).create() { console.out(line) }
    }
}

/// The files and directories of a new project, and how `loom init` makes them without touching
/// what is already there.
struct ProjectLayout {
    let root: String

    static let gitignore = """
        # Loom: the artifact store and the run records stay on this machine, out of git.
        /artifacts/
        /experiments/

        """

    static let exampleDAG = """
        # An example DAG of two shell tasks (it runs in well under a second). $LOOM_OUT and
        # $LOOM_IN are quoted: the project's path may hold spaces.
        #   loom run example      run what is stale (the first time: everything)
        #   loom run example      again: nothing runs, every task is cached
        #   loom run example -P n=20
        #                         a changed param reruns what it reaches, and loom says why
        description: sum the numbers 1..n
        params:
          n: 10

        tasks:
          numbers:
            kind: shell
            cmd: seq 1 {{params.n}} > "$LOOM_OUT/numbers.txt"
            outputs: [numbers.txt]

          total:
            kind: shell
            needs: [numbers]
            cmd: |
              awk '{ s += $1 } END { print s }' "$LOOM_IN/numbers/numbers.txt" > "$LOOM_OUT/total.txt"
              printf '{"total": %s}\\n' "$(cat "$LOOM_OUT/total.txt")" > "$LOOM_OUT/metrics.json"
            outputs: [total.txt]

        """

    /// Creates what is missing; returns the lines to print (what was created, what was kept, what
    /// to do next).
    func create() throws -> [String] {
        try makeRoot()
        var made: [String] = [], kept: [String] = []
        for d in ["dags", "artifacts", "experiments"] {
            try directory(d) ? made.append(d + "/") : kept.append(d + "/")
        }
        let dags = ((try? FileSystem.listDirectory(root + "/dags")) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        if dags.isEmpty {
            try FileSystem.writeNew(root + "/dags/example.yaml", Self.exampleDAG)
            made.append("dags/example.yaml")
        }
        var notes: [String] = []
        if try file(".gitignore", Self.gitignore) { made.append(".gitignore") } else {
            kept.append(".gitignore")
            if !Self.ignoresStore((try? FileSystem.readText(root + "/.gitignore")) ?? "") {
                notes.append("note: .gitignore does not ignore the store and run records; add these lines to it:\n    /artifacts/\n    /experiments/")
            }
        }
        // The project file last: once it is there, the project is complete.
        let marker = root + "/" + ProjectFile.name
        if try ProjectRoot.rendering({ try ProjectRoot.readMarker(marker) }) { kept.append(ProjectFile.name) } else {
            try FileSystem.writeNew(marker, ProjectFile.initialText)
            made.append(ProjectFile.name)
        }
        var out = [made.contains(ProjectFile.name) ? "initialised a Loom project in \(root)" : "\(root) is already a Loom project; nothing was overwritten"]
        out += made.map { "  created \($0)" } + kept.map { "  kept    \($0) (already there)" } + notes
        out.append("next:")
        if root != FileSystem.currentDirectory { out.append("  cd \(Self.shellQuoted(root))") }
        if dags.isEmpty {
            out += ["  loom run example     # run the example DAG (dags/example.yaml)",
                    "  loom run example     # again: nothing runs",
                    "  loom runs            # the recorded runs"]
        } else {
            out += ["  loom run \(GraphBuilder.dagName(dags[0]))", "  loom runs"]
        }
        return out
    }

    /// Creates the root directory (and its parents) unless it is one; refuses a file.
    private func makeRoot() throws {
        var st = stat()
        if stat(root, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw CLIExit(.usage, "cannot make \(root) a project: it is a file, not a directory")
            }
            return
        }
        do { try FileSystem.makeDirectories(root) } catch let f as FileSystem.Failure where f.errno == ENOTDIR || f.errno == EEXIST {
            throw CLIExit(.usage, "cannot make \(root) a project: \(f.path) is a file, not a directory")
        }
    }

    /// Makes `name` a directory under the root; false if it already was one.
    private func directory(_ name: String) throws -> Bool {
        let p = root + "/" + name
        if FileSystem.isDirectory(p) { return false }
        if FileSystem.exists(p) { throw CLIExit(.usage, "cannot make \(root) a project: \(name) is a file, not a directory") }
        try FileSystem.makeDirectories(p)
        return true
    }

    /// Writes `name` unless something is there; false if it was.
    private func file(_ name: String, _ text: String) throws -> Bool {
        var st = stat()
        if lstat(root + "/" + name, &st) == 0 { return false }
        try FileSystem.writeNew(root + "/" + name, text)
        return true
    }

    /// Whether a .gitignore keeps both `artifacts/` and `experiments/` at the root out of git
    /// (any of the usual spellings of the line).
    static func ignoresStore(_ text: String) -> Bool {
        let lines = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        func ignored(_ d: String) -> Bool { ["\(d)", "\(d)/", "/\(d)", "/\(d)/", "\(d)/*", "/\(d)/*", "\(d)/**", "/\(d)/**"].contains { lines.contains($0) } }
        return ignored("artifacts") && ignored("experiments")
    }

    /// A path as a shell word (single-quoted when it holds anything but plain characters).
    static func shellQuoted(_ s: String) -> String {
        let plain = s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-+,:@".unicodeScalars.contains($0) }
        return plain && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

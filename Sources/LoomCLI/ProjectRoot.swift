import Foundation
import LoomCore

/// Where a command acts: the directory it starts from (the current one, or `-C DIR`) and the
/// project root found from there by walking up to the project file (`loom.yaml`), as git walks
/// up to `.git`.
///
/// Rules, in order, from the start directory up to `/`:
/// 1. A directory holding `loom.yaml` is the root (the nearest one wins). A `loom.yaml` that is a
///    directory, cannot be read or does not parse stops the walk with an error (exit 3): going on
///    to a project further up would write into the wrong store.
/// 2. Projects made before the project file existed: the start directory itself (never one above
///    it) is the root if it holds `dags/` and `artifacts/` or `experiments/`, with a warning to run
///    `loom init`.
/// 3. Otherwise the command is outside a project (exit 7, with a hint to run `loom init`).
struct ProjectRoot: Equatable {
    /// The directory the command acts from, absolute and without symbolic links.
    var start: String
    /// The project root, absolute and without symbolic links.
    var root: String
    /// Set for a project found by rule 2: the warning to print.
    var legacyWarning: String?
    /// The project file as read when the root was found (an empty one for a project found by
    /// rule 2): commands use it instead of reading `loom.yaml` again.
    var file = ProjectFile()

    var project: Project { Project(root: root) }

    /// The start directory: the current directory, then each `-C DIR` in turn (a relative one is
    /// relative to the one before, as in git and make). It must exist and be a directory.
    static func startDirectory(_ directories: [String], current: String = FileSystem.currentDirectory) throws -> String {
        // getcwd fails when the directory was removed under the shell (`FileSystem` then says ".").
        guard current.hasPrefix("/") else {
            throw CLIExit(.environment, "cannot read the current directory (was it removed?); cd to the project or give it with -C DIR")
        }
        var dir = current
        for d in directories {
            guard !d.isEmpty else { throw CLIExit(.usage, "-C takes a directory, got an empty argument") }
            let joined = d.hasPrefix("/") ? d : dir + "/" + d
            guard let real = realPath(joined) else {
                throw CLIExit(.usage, "cannot change to directory '\(d)' (-C): \(String(cString: strerror(errno)))")
            }
            guard FileSystem.isDirectory(real) else { throw CLIExit(.usage, "cannot change to directory '\(d)' (-C): not a directory") }
            dir = real
        }
        return directories.isEmpty ? (realPath(dir) ?? dir) : dir
    }

    /// The project found from the start directory that `directories` (`-C` values) give, with
    /// the warning for a project found by rule 2 printed.
    static func locate(_ directories: [String]) throws -> ProjectRoot {
        let start = try startDirectory(directories)
        let found = try rendering { try find(from: start) }
        if let w = found.legacyWarning { Console().err("warning: \(w)") }
        return found
    }

    /// `body`, with a problem in a project file printed with its source line quoted (the
    /// renderer needs the file's text), then exit 3.
    static func rendering<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DiagnosticError {
            var renderer = DiagnosticRenderer()
            for file in e.diagnostics.compactMap(\.location?.file) {
                if let text = try? FileSystem.readText(file) { renderer.addSource(path: file, text: text) }
            }
            Console().err(renderer.render(e.diagnostics).trimmingTrailingNewline)
            throw CLIExit(.invalid)
        }
    }

    /// The project that `start` (an absolute, symlink-free directory) belongs to.
    static func find(from start: String) throws -> ProjectRoot {
        var dir = start
        while true {
            let marker = (dir == "/" ? "" : dir) + "/" + ProjectFile.name
            if let file = try projectFile(marker) { return ProjectRoot(start: start, root: dir, file: file) }
            if dir == start, isLegacyProject(dir) {
                let has = FileSystem.isDirectory(dir + "/artifacts") ? "artifacts/" : "experiments/"
                return ProjectRoot(start: start, root: dir, legacyWarning:
                    "\(dir) has no \(ProjectFile.name); using it as the project root because it holds dags/ and \(has) (run 'loom init' to add the project file, so that loom finds the project from its subdirectories too)")
            }
            if dir == "/" { break }
            dir = FileSystem.parent(of: dir)
            if dir.isEmpty { dir = "/" }
        }
        throw CLIExit(.noProject, "not inside a Loom project: no \(ProjectFile.name) in \(start) or any directory above it\n"
                      + "hint: run 'loom init' to make \(start) a project, or give the project with -C DIR")
    }

    /// Whether `path` is a project file (false if nothing is there); throws if something is
    /// there that is not a readable, valid one.
    static func readMarker(_ path: String) throws -> Bool { try projectFile(path) != nil }

    /// The project file at `path` (nil if nothing is there); throws if something is there that is
    /// not a readable, valid one.
    static func projectFile(_ path: String) throws -> ProjectFile? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let error = errno
            guard error == ENOENT || error == ENOTDIR else {
                throw DiagnosticError([Diagnostic(.error, "cannot read project file \(path): \(String(cString: strerror(error)))")])
            }
            // Nothing there, unless a symbolic link points at nothing: that is a broken marker.
            guard lstat(path, &st) == 0 else { return nil }
            throw DiagnosticError([Diagnostic(.error, "cannot read project file \(path): it is a symbolic link to nothing")])
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw DiagnosticError([Diagnostic(.error, "\(path) is a directory; expected the project file (a YAML file holding 'loom: \(ProjectFile.currentVersion)')",
                                              notes: ["remove or rename it, or run loom with -C pointing at the project root"])])
        }
        let bytes: [UInt8]
        do { bytes = try FileSystem.readBytes(path) } catch let f as FileSystem.Failure {
            throw DiagnosticError([Diagnostic(.error, "cannot read project file \(path): \(String(cString: strerror(f.errno)))")])
        }
        return try ProjectFile.parse(bytes, path: path)
    }

    static func isLegacyProject(_ dir: String) -> Bool {
        FileSystem.isDirectory(dir + "/dags") && (FileSystem.isDirectory(dir + "/artifacts") || FileSystem.isDirectory(dir + "/experiments"))
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// The DAG file a command-line argument names: a path relative to the start directory (as
    /// typed), else relative to the project root, else under the root's `dags/`; a bare name
    /// (`demo`) is also `dags/demo.yaml` or `dags/demo.yml`. The first regular file wins. Nil if
    /// there is none (the caller reports it).
    func dagFile(_ argument: String) -> String? {
        if argument.hasPrefix("/") { return argument }
        // The first place, as typed from the start directory, is nearly always it: tried before
        // the list is built (0.04 ms of first-use generic lookups in every run).
        let typed = FileSystem.absolute(start + "/" + argument, base: "/")
        if Self.isFile(typed) { return typed }
        for c in dagCandidates(argument).dropFirst() where Self.isFile(c) { return c }
        return nil
    }

    /// The places `dagFile` looks, in order.
    func dagCandidates(_ argument: String) -> [String] {
        var out = [start + "/" + argument, root + "/" + argument, root + "/dags/" + argument]
        if !argument.contains("/") && !argument.hasSuffix(".yaml") && !argument.hasSuffix(".yml") {
            out += [root + "/dags/" + argument + ".yaml", root + "/dags/" + argument + ".yml"]
        }
        var unique: [String] = []
        for c in out.map({ FileSystem.absolute($0, base: "/") }) where !unique.contains(c) { unique.append(c) }
        return unique
    }

    /// The DAG file for `argument`, or a located-nowhere error naming where it was looked for (exit 3).
    func requireDAGFile(_ argument: String) throws -> String {
        if let f = dagFile(argument) { return f }
        let project = self.project
        let names = ((try? FileSystem.listDirectory(root + "/dags")) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        let stem = GraphBuilder.dagName(argument)
        var notes = ["looked for " + dagCandidates(argument).map(project.display).joined(separator: ", ")]
        if let close = Suggestion.closest(to: stem, in: names.map { GraphBuilder.dagName($0) }) { notes.append("did you mean '\(close)'?") }
        let shown = project.display(dagCandidates(argument)[0])
        throw DiagnosticError([Diagnostic(.error, "cannot read DAG file \(shown): no such file", notes: notes)])
    }

    static func isFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
}

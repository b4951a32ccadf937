import LoomCore
import LoomTasks

/// Loads and validates a DAG for a command, rendering every problem and exiting 3 on failure.
func loadGraph(_ location: ProjectRoot, _ dag: DAGOptions, console: Console) throws -> TaskGraph {
    try loadGraph(location, dag: dag.dag, params: dag.params, console: console)
}

/// `dag` as given on the command line: found as `ProjectRoot.dagFile` says.
func loadGraph(_ location: ProjectRoot, dag: String, params: [String], console: Console) throws -> TaskGraph {
    var renderer = DiagnosticRenderer()
    let project = location.project
    var shown = project.display(location.dagCandidates(dag)[0])
    do {
        let file = try location.requireDAGFile(dag)
        shown = project.display(file)
        return try project.loadGraph(file, registry: BuiltinKinds.registry, overrides: try DAGOptions.overrides(params), renderer: &renderer)
    } catch let e as DiagnosticError {
        var text = renderer.render(e.diagnostics).trimmingTrailingNewline
        if console.errorColours {
            text = text.replacingOccurrences(of: ": error: ", with: ": " + console.paint("error:", .red, error: true) + " ")
                .replacingOccurrences(of: "\nnote: ", with: "\n" + console.paint("note:", .cyan, error: true) + " ")
        }
        console.err(text)
        let n = e.diagnostics.filter { $0.severity == .error }.count
        throw CLIExit(.invalid, "\(DiagnosticRenderer.grouped(n)) error\(n == 1 ? "" : "s") in \(shown); nothing ran")
    }
}

/// Task names given on the command line, checked (with "did you mean"), a template's name (a
/// task with `matrix:`) standing for all its instances.
func taskNames(_ names: [String], in graph: TaskGraph, what: String) throws -> [String] {
    let all = graph.nodes.map(\.id.name) + Set(graph.nodes.compactMap(\.template)).sorted()
    for n in names where graph.tasks(named: n).isEmpty {
        let hint = Suggestion.closest(to: n, in: all).map { " (did you mean '\($0)'?)" } ?? ""
        throw CLIExit(.usage, "\(what) '\(n)' is not a task of \(graph.dagPath)\(hint)")
    }
    return graph.expandingTemplates(names)
}

extension String {
    var trimmingTrailingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}

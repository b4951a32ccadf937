import ArgumentParser
import LoomCore

/// Shell completion (`loom --generate-completion-script bash|zsh|fish`): DAG arguments complete
/// to YAML files, task arguments to the task names of the DAG already on the command line.
enum Completion {
    static let dagFiles = CompletionKind.file(extensions: ["yaml", "yml"])

    /// Task names of the first word that names a DAG of the project (none when there is no
    /// project, no such DAG, or it does not load: completion never prints an error).
    static let taskNames = CompletionKind.custom { words, _, _ in
        guard let location = try? ProjectRoot.find(from: FileSystem.currentDirectory) else { return [] }
        for w in words.dropFirst() where !w.hasPrefix("-") {
            guard location.dagFile(w) != nil, let graph = try? loadGraph(location, dag: w, params: [], console: Console()) else { continue }
            // Tasks, and templates (a task with matrix:, which stands for all its instances).
            var templates: [String] = []
            for t in graph.nodes.compactMap(\.template) where !templates.contains(t) { templates.append(t) }
            return graph.nodes.map(\.id.name) + templates
        }
        return []
    }
}

import Foundation
@testable import LoomCore

/// A throwaway project directory under /tmp.
struct TestDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "loom-test-" + UUID().uuidString
        try? FileSystem.makeDirectories(path)
    }
    func write(_ rel: String, _ text: String) {
        let p = path + "/" + rel
        try? FileSystem.makeDirectories((p as NSString).deletingLastPathComponent)
        try? FileSystem.writeAtomically(p, text)
    }
    func remove() { FileSystem.removeTree(path) }
}

/// The result of building a DAG in a test: the graph, or the rendered diagnostics.
struct Built {
    var success: TaskGraph?
    var failure: String?
}

/// Parses and builds a DAG from text.
func build(_ yaml: String, overrides: [(String, String)] = [], registry: KindRegistry = KindRegistry([]), root: String = "/tmp") -> Built {
    var renderer = DiagnosticRenderer()
    renderer.addSource(path: "dags/t.yaml", text: yaml)
    do {
        let (spec, problems) = try SpecParser.parsePartially(yaml, path: "dags/t.yaml")
        var b = GraphBuilder(registry: registry, projectRoot: root)
        return Built(success: try b.build(spec, digest: Digest(of: yaml), overrides: overrides.map { (name: $0.0, value: $0.1) }, prior: problems))
    } catch let e as DiagnosticError {
        return Built(failure: renderer.render(e.diagnostics))
    } catch {
        return Built(failure: "unexpected \(error)")
    }
}

/// A project directory holding `files` (path -> text); the caller removes it.
func temporaryProject(_ files: [String: String]) throws -> String {
    let dir = TestDir()
    for (rel, text) in files { dir.write(rel, text) }
    return dir.path
}

import Foundation
import Testing
@testable import LoomCore

/// Hole 7 of issue 10 through the engine: a kind whose default changes without a version bump
/// must not serve the artifact made with the old default.
@Suite struct DefaultChangeTests {
    /// A kind `count` at version 1 whose `n_init` defaults to `n`.
    func registry(defaultNInit n: Int) -> KindRegistry {
        KindRegistry([KindDescriptor(name: "count", version: 1, summary: "test kind", params: [ParamSpec("n_init", .int, .value(.int(n)), "restarts")],
                                     check: { _ in [] }, run: { _, _ in })])
    }

    func engine(_ dir: TestDir, _ registry: KindRegistry, runner: RecordingRunner) throws -> Engine {
        var renderer = DiagnosticRenderer()
        let project = Project(root: dir.path)
        let graph = try project.loadGraph(dir.path + "/dags/t.yaml", registry: registry, overrides: [], renderer: &renderer)
        return try Engine(project: project, graph: graph, runner: runner)
    }

    @Test func changingADefaultReruns() throws {
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count}\n")
        var options = RunOptions()
        options.builtinLauncher = ["exec-builtin"]   // the recording runner runs nothing
        #expect(try engine(dir, registry(defaultNInit: 10), runner: RecordingRunner()).run(options).status == .succeeded)
        #expect(try engine(dir, registry(defaultNInit: 10), runner: RecordingRunner()).status().map(\.reasons) == [[]])
        // Same kind, same version, another default: stale, and the reason names the value.
        let changed = try engine(dir, registry(defaultNInit: 20), runner: RecordingRunner())
        #expect(try changed.status().map(\.reasons) == [["param 'n_init' changed 10 -> 20"]])
        // Writing the old default out is the old key again.
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count, params: {n_init: 10}}\n")
        #expect(try engine(dir, registry(defaultNInit: 20), runner: RecordingRunner()).status().map(\.reasons) == [[]])
    }
}

/// A param added to a kind with `keyedOnlyWhenSet` (as generate's experiment_* params were):
/// tasks that leave it at its default stay up to date across the change; setting it reruns
/// with the reason `param 'extra' added (3)`.
@Suite struct AddedParamTests {
    func registry(withAddedParam added: Bool) -> KindRegistry {
        var params = [ParamSpec("n", .int, 10, "rows")]
        if added { params.append(ParamSpec("extra", .int, 0, "added later", keyedOnlyWhenSet: true)) }
        return KindRegistry([KindDescriptor(name: "count", version: 1, summary: "test kind", params: params, check: { _ in [] }, run: { _, _ in })])
    }

    func engine(_ dir: TestDir, _ registry: KindRegistry) throws -> Engine {
        var renderer = DiagnosticRenderer()
        let project = Project(root: dir.path)
        let graph = try project.loadGraph(dir.path + "/dags/t.yaml", registry: registry, overrides: [], renderer: &renderer)
        return try Engine(project: project, graph: graph, runner: RecordingRunner())
    }

    @Test func addingTheParamKeepsTheKeyAndSettingItReruns() throws {
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count}\n")
        var options = RunOptions()
        options.builtinLauncher = ["exec-builtin"]   // the recording runner runs nothing
        #expect(try engine(dir, registry(withAddedParam: false)).run(options).status == .succeeded)
        #expect(try engine(dir, registry(withAddedParam: true)).status().map(\.reasons) == [[]])
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count, params: {extra: 0}}\n")
        #expect(try engine(dir, registry(withAddedParam: true)).status().map(\.reasons) == [[]])
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count, params: {extra: 3}}\n")
        #expect(try engine(dir, registry(withAddedParam: true)).status().map(\.reasons) == [["param 'extra' added (3)"]])
    }
}

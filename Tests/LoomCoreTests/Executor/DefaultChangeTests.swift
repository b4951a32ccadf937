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

    /// The kind `count` of `registry(defaultNInit: 10)` with a param added later: `mode`, whose
    /// legacy value "plain" is what the kind did before it existed.
    func registryWithMode(default d: String, legacy: String = "plain") -> KindRegistry {
        let params = [ParamSpec("n_init", .int, .value(.int(10)), "restarts"),
                      ParamSpec("mode", .string, .value(.string(d)), "added later", legacy: .string(legacy))]
        return KindRegistry([KindDescriptor(name: "count", version: 1, summary: "test kind", params: params, check: { _ in [] }, run: { _, _ in })])
    }

    @Test func aParamAddedAtItsLegacyValueKeepsTheKey() throws {
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count}\n")
        var options = RunOptions()
        options.builtinLauncher = ["exec-builtin"]
        #expect(try engine(dir, registry(defaultNInit: 10), runner: RecordingRunner()).run(options).status == .succeeded)
        // The param added, at its legacy value, omitted or written out: the same key, up to date.
        #expect(try engine(dir, registryWithMode(default: "plain"), runner: RecordingRunner()).status().map(\.reasons) == [[]])
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count, params: {mode: plain}}\n")
        #expect(try engine(dir, registryWithMode(default: "plain"), runner: RecordingRunner()).status().map(\.reasons) == [[]])
        // Another value enters the key.
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count, params: {mode: fancy}}\n")
        #expect(try engine(dir, registryWithMode(default: "plain"), runner: RecordingRunner()).status().map(\.reasons) == [["param 'mode' added (\"fancy\")"]])
        // A default changed later no longer matches the legacy value: the param is keyed again.
        dir.write("dags/t.yaml", "tasks:\n  c: {kind: count}\n")
        #expect(try engine(dir, registryWithMode(default: "fancy"), runner: RecordingRunner()).status().map(\.reasons) == [["param 'mode' added (\"fancy\")"]])
    }
}

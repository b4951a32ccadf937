import Foundation
import Testing
@testable import LoomCore

@Suite struct GraphBuilderTests {
    @Test func unknownNeedIsRenderedWithCaretAndSuggestion() {
        let yaml = """
        tasks:
          features:
            kind: shell
            cmd: "true"
          train:
            kind: shell
            cmd: "true"
            needs: [featurs]
        """
        #expect(build(yaml).failure == """
        dags/t.yaml:8:13: error: task 'train' needs unknown task 'featurs'
            needs: [featurs]
                    ^~~~~~~
        note: did you mean 'features'?

        """)
    }

    @Test func cycleIsPrintedAsAPath() {
        let yaml = """
        tasks:
          a: {kind: shell, cmd: "true", needs: [c]}
          b: {kind: shell, cmd: "true", needs: [a]}
          c: {kind: shell, cmd: "true", needs: [b]}
          d: {kind: shell, cmd: "true"}
        """
        #expect(build(yaml).failure == """
        dags/t.yaml:2:3: error: dependency cycle: a -> c -> b -> a
          a: {kind: shell, cmd: "true", needs: [c]}
          ^

        """)
    }

    @Test func everyProblemAtOnceSortedByLocation() {
        let yaml = """
        params:
          k: 4
        tasks:
          a:
            kind: shel
          b:
            kind: shell
            cmd: echo {{params.kk}}
            outputs: [../escape.txt]
          c:
            kind: shell
            cmd: "true"
            files: [no/such/file.csv]
        """
        let out = build(yaml).failure ?? ""
        let lines = out.split(separator: "\n").filter { $0.hasPrefix("dags/") }
        #expect(lines == [
            "dags/t.yaml:5:11: error: task 'a' has unknown kind 'shel'",
            "dags/t.yaml:8:15: error: unknown param 'kk' in '{{params.kk}}'",
            "dags/t.yaml:9:15: error: output path '../escape.txt' of task 'b' would escape $LOOM_OUT (use a relative path without '..')",
            "dags/t.yaml:13:13: error: declared file 'no/such/file.csv' of task 'c' does not exist",
        ])
        #expect(out.contains("note: did you mean 'shell'?"))
        #expect(out.contains("note: did you mean 'k'?"))
    }

    @Test func overridesAreTypedAndChecked() throws {
        let yaml = "params:\n  k: 4\n  r: 0.5\n  names: [a]\ntasks:\n  t: {kind: shell, cmd: 'echo {{params.k}} {{params.names}}'}\n"
        let g = try #require(build(yaml, overrides: [("k", "5"), ("r", "1"), ("names", "[x, 'y z']")]).success)
        #expect(g.params == ["k": .int(5), "r": .float(1), "names": .list([.string("x"), .string("y z")])])
        #expect(g.nodes[0].renderedCommand == "echo 5 x 'y z'")
        #expect(g.nodes[0].params == ["k": .int(5), "names": .list([.string("x"), .string("y z")])])
        #expect(build(yaml, overrides: [("kk", "5")]).failure == """
        error: -P kk=5: the DAG has no param 'kk' (params: k, names, r)
        note: did you mean 'k'?

        """)
        #expect(build(yaml, overrides: [("k", "five")]).failure == "error: -P k=five: expected int, like the default 4 at dags/t.yaml:2:6\n")
    }

    @Test func topologicalOrderIsDeterministic() throws {
        let yaml = """
        tasks:
          z: {kind: shell, cmd: "true", needs: [m]}
          m: {kind: shell, cmd: "true"}
          a: {kind: shell, cmd: "true"}
          b: {kind: shell, cmd: "true", needs: [z, a]}
        """
        let g = try #require(build(yaml).success)
        #expect(g.nodes.map(\.id.name) == ["m", "z", "a", "b"])
        #expect(g.nodes[3].needs == [1, 2])
        #expect(g.closure(of: [1]) == [0, 1])
    }

    @Test func typedInterpolationIntoTaskParams() throws {
        struct Echo: TaskKind {
            struct Params: Decodable, Sendable { var n: Int; var label: String }
            static let name = "echo"
            static let version = 3
            static let summary = "test kind"
            static let params = [ParamSpec("n", .int, .required, "a number", bounds: .atLeast(0)), ParamSpec("label", .string, .required, "a label")]
            static func validate(_ p: Params) -> [ParamProblem] { p.label == p.label.uppercased() ? [ParamProblem(param: "label", "param 'label' must not shout")] : [] }
            static func run(_ p: Params, context: TaskContext) throws {}
        }
        let reg = KindRegistry([Echo.descriptor])
        let ok = "params: {k: 4}\ntasks:\n  t: {kind: echo, params: {n: '{{params.k}}', label: 'k={{params.k}}'}}\n"
        let g = try #require(build(ok, registry: reg).success)
        #expect(g.nodes[0].params == ["n": .int(4), "label": .string("k=4")])
        #expect(g.nodes[0].kindVersion == 3)
        let bad = "tasks:\n  t:\n    kind: echo\n    params: {n: 'x', lable: y}\n"
        // Every problem at once, each at its param; 'label' is not also reported missing.
        #expect(build(bad, registry: reg).failure == """
        dags/t.yaml:4:14: error: task 't': param 'n' must be int, got "x"
            params: {n: 'x', lable: y}
                     ^
        dags/t.yaml:4:22: error: task 't': kind 'echo' has no param 'lable' (params: n, label)
            params: {n: 'x', lable: y}
                             ^~~~~
        note: did you mean 'label'?

        """)
        #expect(build("tasks:\n  t:\n    kind: echo\n    params: {n: 1}\n", registry: reg).failure == """
        dags/t.yaml:4:5: error: task 't': kind 'echo' needs param 'label'
            params: {n: 1}
            ^~~~~~

        """)
        let invalid = "tasks:\n  t:\n    kind: echo\n    params: {n: -1, label: y}\n"
        #expect(build(invalid, registry: reg).failure == """
        dags/t.yaml:4:14: error: task 't': param 'n' must be >= 0, got -1
            params: {n: -1, label: y}
                     ^

        """)
        let shouting = "tasks:\n  t:\n    kind: echo\n    params: {n: 1, label: Y}\n"
        #expect(build(shouting, registry: reg).failure == """
        dags/t.yaml:4:20: error: task 't': param 'label' must not shout
            params: {n: 1, label: Y}
                           ^~~~~

        """)
    }

    /// A kind with defaults, and a param naming a project file unless `input` is set.
    struct Reader: TaskKind {
        struct Params: Decodable, Sendable { var file: String; var input: String?; var n_init: Int; var rate: Double }
        static let name = "reader"
        static let version = 1
        static let summary = "test kind"
        static let params = [
            ParamSpec("file", .string, .required, "a file", projectFile: .unlessSet("input")),
            ParamSpec("input", .string, .unset("none"), "a needed task"),
            ParamSpec("n_init", .int, 10, "restarts"),
            ParamSpec("rate", .float, 1, "a rate"),
        ]
        static func run(_ p: Params, context: TaskContext) throws {}
    }

    // The key holds the resolved params: omitting a default and writing it out give one key.
    @Test func builtinParamsAreKeyedWithDefaultsApplied() throws {
        let root = try temporaryProject(["data/tx.csv": "a\n"])
        defer { FileSystem.removeTree(root) }
        let reg = KindRegistry([Reader.descriptor])
        let omitted = try #require(build("tasks:\n  t: {kind: reader, params: {file: data/tx.csv}}\n", registry: reg, root: root).success)
        let written = try #require(build("tasks:\n  t: {kind: reader, params: {file: data/tx.csv, n_init: 10, rate: 1, input: null}}\n", registry: reg, root: root).success)
        #expect(omitted.nodes[0].params == ["file": .string("data/tx.csv"), "input": .null, "n_init": .int(10), "rate": .float(1)])
        #expect(written.nodes[0].params == omitted.nodes[0].params)
        let changed = try #require(build("tasks:\n  t: {kind: reader, params: {file: data/tx.csv, n_init: 20}}\n", registry: reg, root: root).success)
        let m = { (n: TaskNode) in KeyManifest(kind: n.kind, kindVersion: n.kindVersion, params: n.params, files: Dictionary(uniqueKeysWithValues: n.files.map { ($0, Digest(of: $0)) })) }
        #expect(KeyDiff.between(m(omitted.nodes[0]), m(changed.nodes[0])).map(\.description) == ["param 'n_init' changed 10 -> 20"])
    }

    // A param naming a project file puts the file among the task's files (hashed into its key).
    @Test func projectFileParamsAreDeclaredFiles() throws {
        let root = try temporaryProject(["data/tx.csv": "a\n"])
        defer { FileSystem.removeTree(root) }
        let reg = KindRegistry([Reader.descriptor])
        let direct = try #require(build("tasks:\n  t: {kind: reader, params: {file: ./data/tx.csv}}\n", registry: reg, root: root).success)
        #expect(direct.nodes[0].files == ["data/tx.csv"])
        let both = try #require(build("tasks:\n  t: {kind: reader, files: [data/tx.csv], params: {file: data/tx.csv}}\n", registry: reg, root: root).success)
        #expect(both.nodes[0].files == ["data/tx.csv"])
        // With `input` set, FILE is inside that task's artifact: not a project file.
        let yaml = "tasks:\n  u: {kind: shell, cmd: 'true'}\n  t: {kind: reader, needs: [u], params: {input: u, file: out.csv}}\n"
        let fromInput = try #require(build(yaml, registry: reg, root: root).success)
        #expect(fromInput.nodes[1].files == [])
    }

    @Test func projectFileParamsOutsideTheProjectAreRefused() throws {
        let root = try temporaryProject(["data/tx.csv": "a\n"])
        defer { FileSystem.removeTree(root) }
        let outside = root + "-outside.txt"
        try FileSystem.writeAtomically(outside, "secret\n")
        defer { FileSystem.removeTree(outside) }
        try FileManager.default.createSymbolicLink(atPath: root + "/data/link.csv", withDestinationPath: outside)
        let reg = KindRegistry([Reader.descriptor])
        let note = "note: a task reads only files inside the project, so that they enter its key; copy the file into the project\n"
        #expect(build("tasks:\n  t: {kind: reader, params: {file: ../outside.txt}}\n", registry: reg, root: root).failure == """
        dags/t.yaml:2:36: error: file '../outside.txt' (param 'file' of task 't') is outside the project
          t: {kind: reader, params: {file: ../outside.txt}}
                                           ^~~~~~~~~~~~~~
        
        """ + note)
        #expect(build("tasks:\n  t: {kind: reader, params: {file: \(outside)}}\n", registry: reg, root: root).failure?.hasPrefix(
            "dags/t.yaml:2:36: error: file '\(outside)' (param 'file' of task 't') is outside the project\n") == true)
        #expect(build("tasks:\n  t: {kind: reader, params: {file: data/link.csv}}\n", registry: reg, root: root).failure == """
        dags/t.yaml:2:36: error: file 'data/link.csv' (param 'file' of task 't') is a symbolic link to \(outside), outside the project
          t: {kind: reader, params: {file: data/link.csv}}
                                           ^~~~~~~~~~~~~
        
        """ + note)
        #expect(build("tasks:\n  t: {kind: reader, params: {file: data/nope.csv}}\n", registry: reg, root: root).failure == """
        dags/t.yaml:2:36: error: file 'data/nope.csv' (param 'file' of task 't') does not exist
          t: {kind: reader, params: {file: data/nope.csv}}
                                           ^~~~~~~~~~~~~

        """)
    }

    @Test func dagNames() {
        #expect(GraphBuilder.dagName("dags/shop.yaml") == "shop")
        #expect(GraphBuilder.dagName("./dags/team/a.yml") == "team-a")
        #expect(GraphBuilder.dagName("other/x.yaml") == "other-x")
    }
}

/// Issue 14: a file's mistakes of every sort come in one round, not shape errors first, then
/// names and params, then cycles.
@Suite struct AllAtOnceTests {
    @Test func shapeNameParamAndCycleProblemsTogether() {
        let yaml = """
        params: {k: 4}
        tasks:
          a:
            kind: shell
            cmd: echo {{params.kk}}
            needs: [c]
            retries: -1
          b:
            kind: [shell]
          c:
            kind: shell
            comand: echo
            needs: [a, nope]
          d:
            kind: shel
            timeout: forever
        """
        let lines = (build(yaml).failure ?? "").split(separator: "\n").filter { $0.hasPrefix("dags/") }
        #expect(lines == [
            "dags/t.yaml:3:3: error: dependency cycle: a -> c -> a",
            "dags/t.yaml:5:15: error: unknown param 'kk' in '{{params.kk}}'",
            "dags/t.yaml:7:14: error: 'retries' must be a whole number from 0 to 100",
            "dags/t.yaml:9:11: error: 'kind' must be a string, found a list",
            "dags/t.yaml:12:5: error: unknown key 'comand' in task 'c'",
            "dags/t.yaml:13:16: error: task 'c' needs unknown task 'nope'",
            "dags/t.yaml:15:11: error: task 'd' has unknown kind 'shel'",
            "dags/t.yaml:16:14: error: 'timeout' must be a positive number of seconds, or a number followed by s, m or h (like 90s, 5m)",
        ])
    }
}

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
            struct Params: Codable, Equatable, Sendable { var n: Int; var label: String }
            static let name = "echo"
            static let version = 3
            static let summary = "test kind"
            static let params = [ParamDoc("n", "int", "a number"), ParamDoc("label", "string", "a label")]
            static func validate(_ p: Params) -> [ParamProblem] { p.n < 0 ? [ParamProblem(param: "n", "param 'n' must be >= 0")] : [] }
            static func run(_ p: Params, context: TaskContext) throws {}
        }
        let reg = KindRegistry([Echo.descriptor])
        let ok = "params: {k: 4}\ntasks:\n  t: {kind: echo, params: {n: '{{params.k}}', label: 'k={{params.k}}'}}\n"
        let g = try #require(build(ok, registry: reg).success)
        #expect(g.nodes[0].params == ["n": .int(4), "label": .string("k=4")])
        #expect(g.nodes[0].kindVersion == 3)
        let bad = "tasks:\n  t:\n    kind: echo\n    params: {n: 'x', lable: y}\n"
        #expect(build(bad, registry: reg).failure == """
        dags/t.yaml:4:22: error: task 't': kind 'echo' has no param 'lable' (params: n, label)
            params: {n: 'x', lable: y}
                             ^~~~~
        note: did you mean 'label'?

        """)
        let wrongType = "tasks:\n  t:\n    kind: echo\n    params: {n: 'x', label: y}\n"
        #expect(build(wrongType, registry: reg).failure?.hasPrefix("dags/t.yaml:4:14: error: task 't': param 'n' must be int") == true)
        let invalid = "tasks:\n  t:\n    kind: echo\n    params: {n: -1, label: y}\n"
        #expect(build(invalid, registry: reg).failure?.hasPrefix("dags/t.yaml:4:14: error: task 't': param 'n' must be >= 0") == true)
    }

    @Test func dagNames() {
        #expect(GraphBuilder.dagName("dags/shop.yaml") == "shop")
        #expect(GraphBuilder.dagName("./dags/team/a.yml") == "team-a")
        #expect(GraphBuilder.dagName("other/x.yaml") == "other-x")
    }
}

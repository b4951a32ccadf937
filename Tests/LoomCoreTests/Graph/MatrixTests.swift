import Foundation
import Testing
@testable import LoomCore

/// `matrix:` task templates: expansion, naming, `{{item.NAME}}` everywhere it may stand, needs
/// of one or all instances, and every mistake located.
@Suite struct MatrixTests {
    struct Echo: TaskKind {
        struct Params: Decodable, Sendable { var n: Int; var label: String }
        static let name = "echo"
        static let version = 1
        static let summary = "test kind"
        static let params = [ParamSpec("n", .int, .required, "a number", bounds: .atLeast(0)), ParamSpec("label", .string, .required, "a label")]
        static func validate(_ p: Params) -> [ParamProblem] { [] }
        static func run(_ p: Params, context: TaskContext) throws {}
    }

    @Test func gridExpandsInOrderWithValuesInCommandsAndNeeds() throws {
        let yaml = """
        params: {k: 4}
        tasks:
          train:
            kind: shell
            matrix:
              model: [logistic, gbdt]
              seed: [1, 2]
            cmd: fit {{item.model}} --seed {{item.seed}} -k {{params.k}}
          score:
            kind: shell
            matrix: {model: [logistic, gbdt]}
            needs: ["train.{{item.model}}.1"]
            cmd: score $LOOM_IN/train.{{item.model}}.1
          report:
            kind: shell
            needs: [score, train.gbdt.2]
            cmd: "true"
        """
        let g = try #require(build(yaml).success)
        #expect(g.nodes.map(\.id.name) == ["train.logistic.1", "train.logistic.2", "train.gbdt.1", "train.gbdt.2",
                                           "score.logistic", "score.gbdt", "report"])
        let train = g.nodes[g.index(of: "train.gbdt.2")!]
        #expect(train.renderedCommand == "fit gbdt --seed 2 -k 4")
        #expect(train.template == "train")
        // The values enter a shell task's key as params, beside the DAG params it uses.
        #expect(train.params == ["item.model": .string("gbdt"), "item.seed": .int(2), "k": .int(4)])
        let score = g.nodes[g.index(of: "score.gbdt")!]
        #expect(score.needs.map { g.nodes[$0].id.name } == ["train.gbdt.1"])
        let report = g.nodes[g.index(of: "report")!]
        #expect(report.needs.map { g.nodes[$0].id.name }.sorted() == ["score.gbdt", "score.logistic", "train.gbdt.2"])
        #expect(report.template == nil)
        #expect(g.tasks(named: "score") == ["score.logistic", "score.gbdt"])
        #expect(g.tasks(named: "report") == ["report"])
        #expect(g.tasks(named: "nothing") == [])
        #expect(g.expandingTemplates(["score", "score.gbdt", "report"]) == ["score.logistic", "score.gbdt", "report"])
    }

    @Test func aValueQuotedForItsPlaceInTheCommand() throws {
        let yaml = """
        tasks:
          t:
            kind: shell
            matrix: {file: ["a b.csv", "it's; rm -rf /"]}
            cmd: wc -l {{item.file}} > $LOOM_OUT/n
        """
        let g = try #require(build(yaml).success)
        // Values that cannot stand in a task name: their positions name the instances.
        #expect(g.nodes.map(\.id.name) == ["t.0", "t.1"])
        #expect(g.nodes[0].renderedCommand == "wc -l 'a b.csv' > $LOOM_OUT/n")
        #expect(g.nodes[1].renderedCommand == "wc -l 'it'\\''s; rm -rf /' > $LOOM_OUT/n")
    }

    @Test func builtInParamsTakeTypedValues() throws {
        let yaml = """
        tasks:
          t:
            kind: echo
            matrix: {n: [1, 2]}
            params: {n: "{{item.n}}", label: "n={{item.n}}"}
        """
        let g = try #require(build(yaml, registry: KindRegistry([Echo.descriptor])).success)
        #expect(g.nodes.map(\.params) == [["n": .int(1), "label": .string("n=1")], ["n": .int(2), "label": .string("n=2")]])
        // A value the kind refuses is reported once per instance that has it, at the param.
        let bad = yaml.replacingOccurrences(of: "[1, 2]", with: "[1, -1]")
        let failure = try #require(build(bad, registry: KindRegistry([Echo.descriptor])).failure)
        #expect(failure.hasPrefix("dags/t.yaml:5:14: error: task 't.-1': param 'n' must be >= 0, got -1"))
    }

    @Test func filesAndOutputsTakeValues() throws {
        let root = try temporaryProject(["data/east.csv": "x\n", "data/west.csv": "y\n"])
        defer { FileSystem.removeTree(root) }
        let yaml = """
        tasks:
          t:
            kind: shell
            matrix: {region: [east, west]}
            files: ["data/{{item.region}}.csv"]
            outputs: ["{{item.region}}.txt"]
            cmd: cp data/{{item.region}}.csv $LOOM_OUT/{{item.region}}.txt
        """
        let g = try #require(build(yaml, root: root).success)
        #expect(g.nodes.map(\.files) == [["data/east.csv"], ["data/west.csv"]])
        #expect(g.nodes.map(\.outputs) == [["east.txt"], ["west.txt"]])
        let missing = try #require(build(yaml.replacingOccurrences(of: "west]", with: "north]"), root: root).failure)
        #expect(missing.hasPrefix("dags/t.yaml:5:13: error: declared file 'data/north.csv' of task 't.north' does not exist"))
    }

    @Test func everyMistakeLocatedOnce() {
        let yaml = """
        tasks:
          a:
            kind: shell
            matrix: {model: [x, y]}
            cmd: echo {{item.modle}} {{items.model}}
          b:
            kind: shell
            cmd: echo {{item.model}}
            needs: ["a.{{item.model}}"]
          c:
            kind: shell
            matrix: {m: [p]}
            cmd: echo
          c.p:
            kind: shell
            cmd: echo
        """
        #expect(build(yaml).failure == """
        dags/t.yaml:5:15: error: unknown matrix name 'modle' in '{{item.modle}}' (task 'a' has: model)
            cmd: echo {{item.modle}} {{items.model}}
                      ^~~~~~~~~~~~~~
        note: did you mean 'model'?
        dags/t.yaml:5:30: error: '{{items.model}}' is not a placeholder: matrix values are written {{item.NAME}}
            cmd: echo {{item.modle}} {{items.model}}
                                     ^~~~~~~~~~~~~~~
        note: did you mean '{{item.model}}'?
        dags/t.yaml:8:15: error: '{{item.model}}' is only for a task with a 'matrix:' (task 'b' has none)
            cmd: echo {{item.model}}
                      ^~~~~~~~~~~~~~
        dags/t.yaml:9:16: error: '{{item.model}}' is only for a task with a 'matrix:' (task 'b' has none)
            needs: ["a.{{item.model}}"]
                       ^~~~~~~~~~~~~~
        dags/t.yaml:10:3: error: task 'c': its matrix makes a task 'c.p', and there is already one
          c:
          ^

        """)
    }

    @Test func malformedMatricesAreShapeErrors() {
        let yaml = """
        tasks:
          a:
            kind: shell
            cmd: echo
            matrix: {model: [x, y, x], k: [], "bad name": [1], m: [[1]], n: 3}
          b:
            kind: shell
            cmd: echo
            foreach: [1, 2]
          c:
            kind: shell
            cmd: echo
            matrix: [1, 2]
        """
        let lines = (build(yaml).failure ?? "").split(separator: "\n").filter { $0.hasPrefix("dags/") || $0.hasPrefix("note:") }
        #expect(lines == [
            "dags/t.yaml:5:28: error: matrix 'model' lists \"x\" twice",
            "note: first listed at dags/t.yaml:5:22",
            "dags/t.yaml:5:35: error: matrix 'k' must be a non-empty list of values, like [a, b]",
            "dags/t.yaml:5:39: error: matrix name 'bad name' may only use letters, digits, '_' and '-'",
            "dags/t.yaml:5:60: error: each value of matrix 'm' must be a single value, found a list",
            "dags/t.yaml:5:69: error: matrix 'n' must be a non-empty list of values, like [a, b]",
            "dags/t.yaml:9:5: error: unknown key 'foreach' in task 'b'",
            "note: did you mean 'matrix'?",
            "dags/t.yaml:13:13: error: 'matrix' must be a mapping from names to lists of values, like {model: [logistic, gbdt]}",
        ])
    }

    @Test func anExplodingGridIsRefused() {
        let values = "[" + (0..<100).map(String.init).joined(separator: ", ") + "]"
        let yaml = "tasks:\n  t:\n    kind: shell\n    cmd: echo\n    matrix: {a: \(values), b: \(values), c: \(values)}\n"
        let failure = build(yaml).failure ?? ""
        #expect(failure.hasPrefix("dags/t.yaml:5:5: error: task 't': its matrix makes more than 10000 tasks (at most 10000)"))
    }

    @Test func theSameMistakeInEveryInstanceIsReportedOnce() throws {
        let yaml = """
        tasks:
          t:
            kind: shell
            matrix: {a: [x, y], b: [1, 2]}
            cmd: echo $(( {{item.b}} + 1 ))
        """
        let failure = try #require(build(yaml).failure)
        #expect(failure.components(separatedBy: "error:").count == 2, "\(failure)")
        #expect(failure.hasPrefix("dags/t.yaml:5:19: error: task 't.x.1': {{item.b}} is inside $(( )), where a value would be evaluated"))
    }

    @Test func graphCacheKeepsTemplates() throws {
        let yaml = "tasks:\n  t:\n    kind: shell\n    matrix: {m: [a, b]}\n    cmd: echo {{item.m}}\n"
        let g = try #require(build(yaml).success)
        let back = try #require(GraphCache.decode(GraphCache.encode(g)))
        #expect(back.nodes.map(\.template) == ["t", "t"])
        #expect(back.tasks(named: "t") == ["t.a", "t.b"])
    }
}

import Testing
@testable import LoomCore

@Suite struct SpecParserTests {
    @Test func parsesTasksParamsAndLocations() throws {
        let yaml = """
        params:
          k: 4
          rate: 0.5
          name: "x"
        tasks:
          a:
            kind: shell
            cmd: echo {{params.k}}
            timeout: 2m
            retries: 2
          b:
            kind: shell
            needs: [a]
            cmd: cat $LOOM_IN/a/x
        """
        let spec = try SpecParser.parse(yaml, path: "d.yaml")
        #expect(spec.params.map(\.name.value) == ["k", "rate", "name"])
        #expect(spec.params.map(\.value.value) == [.int(4), .float(0.5), .string("x")])
        #expect(spec.tasks.map(\.name.value) == ["a", "b"])
        #expect(spec.tasks[0].timeout?.value == 120)
        #expect(spec.tasks[0].retries?.value == 2)
        #expect(spec.tasks[1].needs.first?.location == SourceLocation(file: "d.yaml", line: 13, column: 13))
    }

    @Test func unknownKeysAreAllReportedWithSuggestions() {
        let yaml = """
        tasks:
          a:
            kind: shell
            comand: echo hi
            neds: [b]
        taks: {}
        """
        #expect(build(yaml).failure == """
        dags/t.yaml:4:5: error: unknown key 'comand' in task 'a'
            comand: echo hi
            ^~~~~~
        note: did you mean 'cmd'?
        dags/t.yaml:5:5: error: unknown key 'neds' in task 'a'
            neds: [b]
            ^~~~
        note: did you mean 'needs'?
        dags/t.yaml:6:1: error: unknown top-level key 'taks'
        taks: {}
        ^~~~
        note: did you mean 'tasks'?

        """)
    }

    @Test func yamlSyntaxErrorPointsAtTheProblem() {
        let yaml = "tasks:\n  a:\n    kind: shell\n    cmd: [unclosed\n"
        let out = build(yaml).failure ?? ""
        #expect(out.hasPrefix("dags/t.yaml:5:1: error: invalid YAML:"))
    }

    @Test func wrongShapes() {
        let yaml = """
        tasks:
          a:
            kind: [shell]
            retries: -1
            timeout: soon
        """
        let out = build(yaml).failure ?? ""
        #expect(out.contains("dags/t.yaml:3:11: error: 'kind' must be a string, found a list"))
        #expect(out.contains("dags/t.yaml:4:14: error: 'retries' must be a whole number from 0 to 100"))
        // Int.max retries overflowed counting the attempts (a trap inside loom run).
        let many = build("tasks:\n  a: {kind: shell, cmd: x, retries: 9223372036854775807}\n").failure ?? ""
        #expect(many.hasPrefix("dags/t.yaml:2:37: error: 'retries' must be a whole number from 0 to 100\n"))
        #expect(build("tasks:\n  a: {kind: shell, cmd: x, retries: 100}\n").success != nil)
        #expect(out.contains("dags/t.yaml:5:14: error: 'timeout' must be a positive number of seconds"))
    }

    @Test(arguments: [
        ("5", ParamValue.int(5)), ("5.0", .float(5)), ("\"5\"", .string("5")), ("true", .bool(true)),
        ("yes", .string("yes")), ("1e-3", .float(0.001)), ("~", .null), ("[1, a]", .list([.int(1), .string("a")])),
    ])
    func scalarTyping(_ text: String, _ expected: ParamValue) throws {
        let spec = try SpecParser.parse("params:\n  v: \(text)\ntasks: {}\n", path: "d.yaml")
        #expect(spec.params.first?.value.value == expected)
    }
}

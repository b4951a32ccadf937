import Foundation
import Testing

@Suite struct BadInputTests {
    func check(_ dag: String, args: [String] = [], status: Int32 = 3, _ expected: String) throws {
        let s = Sandbox()
        s.write("dags/t.yaml", dag)
        let r = try s.loom(["run", "dags/t.yaml"] + args)
        #expect(r.status == status)
        #expect(r.stderr == expected)
        #expect(!FileManager.default.fileExists(atPath: s.root + "/experiments"))
    }

    @Test func yamlSyntaxError() throws {
        try check("tasks:\n  a:\n    kind: shell\n   cmd: x\n", """
        dags/t.yaml:4:4: error: invalid YAML: did not find expected key
           cmd: x
           ^
        note: while parsing a block mapping at line 2, column 3
        error: 1 error in dags/t.yaml; nothing ran

        """)
    }

    @Test func manyProblemsAtOnce() throws {
        try check("""
        tasks:
          a: {kind: shel, cmd: x}
          b: {kind: shell, cmd: x, needs: [a, c]}
          b2: {kind: concat, params: {fle: x}}
        """, """
        dags/t.yaml:2:13: error: task 'a' has unknown kind 'shel'
          a: {kind: shel, cmd: x}
                    ^~~~
        note: did you mean 'shell'?
        dags/t.yaml:3:39: error: task 'b' needs unknown task 'c'
          b: {kind: shell, cmd: x, needs: [a, c]}
                                              ^
        dags/t.yaml:4:31: error: task 'b2': kind 'concat' has no param 'fle' (params: file, output)
          b2: {kind: concat, params: {fle: x}}
                                      ^~~
        note: did you mean 'file'?
        error: 3 errors in dags/t.yaml; nothing ran

        """)
    }

    @Test func cycleAndDuplicate() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: x, needs: [b]}\n  b: {kind: shell, cmd: x, needs: [a]}\n")
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 3)
        #expect(r.stderr.hasPrefix("dags/t.yaml:2:3: error: dependency cycle: a -> b -> a\n"))
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: x}\n  a: {kind: shell, cmd: y}\n")
        let d = try s.loom("run", "dags/t.yaml")
        #expect(d.status == 3)
        #expect(d.stderr.contains("error: duplicate"))
    }

    @Test func commandLineProblems() throws {
        try check("params: {k: 4}\ntasks:\n  a: {kind: shell, cmd: 'echo {{params.k}}'}\n", args: ["-P", "kk=1"], """
        error: -P kk=1: the DAG has no param 'kk' (params: k)
        note: did you mean 'k'?
        error: 1 error in dags/t.yaml; nothing ran

        """)
        try check("params: {k: 4}\ntasks:\n  a: {kind: shell, cmd: x}\n", args: ["-P", "k=x"], """
        error: -P k=x: expected int, like the default 4 at dags/t.yaml:1:13
        error: 1 error in dags/t.yaml; nothing ran

        """)
        let s = Sandbox()
        let usage = try s.loom("run", "dags/t.yaml", "-j", "0")
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("-j must be at least 1, got 0"))
        let missing = try s.loom("run", "dags/none.yaml")
        #expect(missing.status == 3)
        #expect(missing.stderr.hasPrefix("error: cannot read DAG file dags/none.yaml:"))
    }

    /// Typos are errors with a suggestion, never passed through or answered with the wrong text.
    @Test func typosAreErrors() throws {
        // A misspelled placeholder would reach the shell as literal text.
        try check("params: {n: 3}\ntasks:\n  a: {kind: shell, cmd: 'echo {{param.n}} {{.State}}'}\n", """
        dags/t.yaml:3:31: error: '{{param.n}}' is not a placeholder: placeholders are written {{params.NAME}}
          a: {kind: shell, cmd: 'echo {{param.n}} {{.State}}'}
                                      ^~~~~~~~~~~
        note: did you mean '{{params.n}}'?
        error: 1 error in dags/t.yaml; nothing ran

        """)
        let s = Sandbox()
        s.write("dags/t.yaml", "params: {n: 3}\ntasks:\n  squares: {kind: shell, cmd: 'echo {{params.n}} > $LOOM_OUT/x'}\n")
        let command = try s.loom("stauts")
        #expect(command.status == 2 && command.stderr.hasPrefix("error: unknown command 'stauts' (did you mean 'status'?); commands: init, ") && command.stderr.contains(", status, "), "\(command.stderr)")
        for (p, message) in [("n", "-P takes name=value (e.g. -P n=5), got 'n'"), ("n=", "-P n= has no value: write -P n=VALUE (an empty string: -P 'n=\"\"')"),
                             ("n=1,,2", "-P n=1,,2: an empty value in the sweep (values are separated by single commas)")] {
            for verb in ["run", "status"] {
                let r = try s.loom(verb, "dags/t.yaml", "-P", p)
                #expect(r.status == 2 && r.stderr.hasPrefix("Error: \(message)\nUsage: loom \(verb) "), "\(verb) -P \(p): \(r.stderr)")
            }
        }
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        let path = try s.loom("path", "dags/t.yaml", "squraes")
        #expect(path.status == 3 && path.stderr == "error: no task named 'squraes' in dags/t.yaml (did you mean 'squares'?)\n", "\(path.stderr)")
        // A Go template's {{.State}} and other {{...}} stay literal text ({{item.x}} is a matrix
        // value, an error in a task without `matrix:`: see MatrixTests).
        s.write("dags/g.yaml", "tasks:\n  g: {kind: shell, cmd: 'echo \"{{.State}} {{ctx.x}}\" > $LOOM_OUT/x'}\n")
        #expect(try s.loom("run", "dags/g.yaml").status == 0)
        #expect(s.read("artifacts/latest/g/g/x") == "{{.State}} {{ctx.x}}\n")
    }

    @Test func declaredFilesMustExist() throws {
        try check("tasks:\n  a: {kind: shell, cmd: x, files: [data/in.csv]}\n", """
        dags/t.yaml:2:36: error: declared file 'data/in.csv' of task 'a' does not exist
          a: {kind: shell, cmd: x, files: [data/in.csv]}
                                           ^~~~~~~~~~~
        error: 1 error in dags/t.yaml; nothing ran

        """)
    }

    /// The graph cache does not stat declared files; the scan does, and names one that vanished
    /// after the DAG was cached (exit 3, nothing ran).
    @Test func aDeclaredFileRemovedAfterTheGraphWasCached() throws {
        let s = Sandbox()
        s.write("data/in.csv", "x\n")
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: 'cat data/in.csv', files: [data/in.csv]}\n")
        #expect(try s.loom("run", "dags/t.yaml").status == 0)
        unlink(s.root + "/data/in.csv")
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 3)
        #expect(r.stderr == "error: declared file 'data/in.csv' of task 'a' does not exist (dags/t.yaml)\n")
        let st = try s.loom("status", "dags/t.yaml")
        #expect(st.status == 3 && st.stderr.contains("declared file 'data/in.csv' of task 'a' does not exist"))
    }

    /// `LOOM_STATS=1` adds one line on stderr, phases in order; stdout is unchanged.
    @Test func statsLine() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: 'echo 1 > $LOOM_OUT/o'}\n")
        #expect(try s.loom("run", "dags/t.yaml", "-q").stderr.isEmpty)
        s.environment["LOOM_STATS"] = "1"
        let r = try s.loom("run", "dags/t.yaml", "-q")
        #expect(r.status == 0 && !r.stdout.contains("stats") && r.stderr.split(separator: "\n").count == 1)
        let line = try #require(r.stderr.split(separator: "\n").last.map(String.init))
        let phases = line.replacingOccurrences(of: "loom stats (ms): ", with: "").split(separator: ",").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(phases == ["graph", "lock", "scan:memo", "scan:state", "scan:files", "scan:seals", "git", "provenance", "record", "tasks",
                           "run.json", "report", "sync", "exit", "total"], "\(line)")
        let status = try s.loom("status", "dags/t.yaml")
        #expect(status.stderr.hasPrefix("loom stats (ms): graph ") && status.stderr.contains(", explain "))
    }

    @Test(arguments: ["", "[]", "tasks: 3", "\u{0}", "tasks:\n  a: 5", "tasks: {a: {kind: shell, cmd: {x: 1}}}", "&a [*a]"])
    func garbageNeverCrashes(_ text: String) throws {
        let s = Sandbox()
        s.write("dags/t.yaml", text)
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("error:"))
    }
}

/// Shell completion: the generated bash script completes the task names of the DAG on the line.
@Suite struct CompletionTests {
    @Test func bashCompletesTaskNamesOfTheDAG() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  alpha: {kind: shell, cmd: 'true'}\n  beta: {kind: shell, cmd: 'true', needs: [alpha]}\n")
        let bin = Sandbox.binary
        let script = """
        source <('\(bin)' --generate-completion-script bash)
        COMP_WORDS=('\(bin)' run dags/t.yaml ''); COMP_CWORD=3; COMP_LINE="'\(bin)' run dags/t.yaml "; COMP_POINT=${#COMP_LINE}
        _loom; printf '%s\\n' "${COMPREPLY[@]}"
        """
        let (p, out, _) = try Child.start(["/bin/bash", "-c", script], in: s.root)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text == "alpha\nbeta\n", "\(text)")
        for shell in ["bash", "zsh", "fish"] {
            #expect(try s.loom("--generate-completion-script", shell).stdout.contains("loom"), "\(shell)")
        }
    }
}

import Foundation
import Testing
import LoomCore

/// Issue 10, holes 5, 7 and 8, with the real binary: defaults inside the key, project files named
/// by params hashed into it, and `{{params.x}}` quoted for its place in the command.
@Suite(.serialized) struct ParamsTests {
    static let sampleDag = """
    tasks:
      lines: {kind: shell, cmd: 'seq 1 20 > $LOOM_OUT/l.txt'}
      picked:
        kind: sample
        needs: [lines]
        params: {input: lines, file: l.txt, n: 4}

    """

    // The key holds `sample`'s default seed (0): writing it out changes nothing, and changing it
    // is explained as a change of the value, not as a param added.
    @Test func defaultsAreInTheKey() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.sampleDag)
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        s.write("dags/t.yaml", Self.sampleDag.replacingOccurrences(of: "n: 4}", with: "n: 4, seed: 0, header: false, output: sample.txt}"))
        #expect(try s.loom("status", "dags/t.yaml").stdout == "up to date  lines\nup to date  picked\n2 up to date, 0 stale\n")
        let again = try s.loom("run", "dags/t.yaml")
        #expect(again.stdout.contains("0 ran, 2 cached"), "\(again.stdout)")
        s.write("dags/t.yaml", Self.sampleDag.replacingOccurrences(of: "n: 4}", with: "n: 4, seed: 1}"))
        #expect(try s.loom("status", "dags/t.yaml").withoutEstimate == """
        up to date  lines
        stale       picked
                      - param 'seed' changed 0 -> 1
        1 up to date, 1 stale

        """)
    }

    static let ingestDag = """
    tasks:
      tx:
        kind: ingest
        params: {file: data/tx.csv, customer: id, time: d, amount: a, time_format: yyyymmdd}

    """

    // `ingest`'s file is hashed into the key without a `files:` entry.
    @Test func aFileNamedByAParamIsHashedIntoTheKey() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.ingestDag)
        s.write("data/tx.csv", "id,d,a\nx,19970101,1\n")
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        #expect(try s.loom("status", "dags/t.yaml").stdout == "up to date  tx\n1 up to date, 0 stale\n")
        s.write("data/tx.csv", "id,d,a\nx,19970101,1\ny,19970102,2\n")
        #expect(try s.loom("status", "dags/t.yaml").withoutEstimate == "stale       tx\n              - file data/tx.csv changed\n0 up to date, 1 stale\n")
        let rerun = try s.loom("run", "dags/t.yaml")
        #expect(rerun.lines.contains("run      tx  (file data/tx.csv changed)"), "\(rerun.stdout)")
        #expect(s.read("artifacts/latest/t/tx/transactions.csv")?.split(separator: "\n").count == 3)
    }

    @Test func aFileOutsideTheProjectIsRefused() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.ingestDag.replacingOccurrences(of: "data/tx.csv", with: "../outside.txt"))
        FileManager.default.createFile(atPath: s.root + "/../outside.txt", contents: Data("id,d,a\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: s.root + "/../outside.txt") }
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 3)
        #expect(r.stderr == """
        dags/t.yaml:4:20: error: file '../outside.txt' (param 'file' of task 'tx') is outside the project
            params: {file: ../outside.txt, customer: id, time: d, amount: a, time_format: yyyymmdd}
                           ^~~~~~~~~~~~~~
        note: a task reads only files inside the project, so that they enter its key; copy the file into the project
        error: 1 error in dags/t.yaml; nothing ran

        """)
    }

    static let kmeansDag = """
    tasks:
      seg:
        kind: kmeans
        params: {project_file: data/t.csv, columns: [a, b], k: 2, n_init: 1}

    """

    // kmeans reads a project file directly (issue 12: no `cp` shell task): hashed into the key, so
    // editing it reruns the task; a path outside the project is refused where it is written.
    @Test func kmeansReadsAProjectFileAndRefusesOneOutside() throws {
        let s = Sandbox()
        s.write("dags/k.yaml", Self.kmeansDag)
        s.write("data/t.csv", "a,b\n1,1\n1,2\n9,9\n9,8\n")
        #expect(try s.loom("run", "dags/k.yaml", "-q").status == 0)
        #expect(s.read("artifacts/latest/k/seg/segments.csv")?.split(separator: "\n").count == 5)
        #expect(try s.loom("status", "dags/k.yaml").stdout == "up to date  seg\n1 up to date, 0 stale\n")
        s.write("data/t.csv", "a,b\n1,1\n1,2\n9,9\n9,8\n5,5\n")
        #expect(try s.loom("status", "dags/k.yaml").withoutEstimate == "stale       seg\n              - file data/t.csv changed\n0 up to date, 1 stale\n")

        s.write("dags/k.yaml", Self.kmeansDag.replacingOccurrences(of: "data/t.csv", with: "../outside.csv"))
        FileManager.default.createFile(atPath: s.root + "/../outside.csv", contents: Data("a,b\n1,1\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: s.root + "/../outside.csv") }
        let r = try s.loom("run", "dags/k.yaml")
        #expect(r.status == 3)
        #expect(r.stderr == """
        dags/k.yaml:4:28: error: file '../outside.csv' (param 'project_file' of task 'seg') is outside the project
            params: {project_file: ../outside.csv, columns: [a, b], k: 2, n_init: 1}
                                   ^~~~~~~~~~~~~~
        note: a task reads only files inside the project, so that they enter its key; copy the file into the project
        error: 1 error in dags/k.yaml; nothing ran

        """)
        s.write("dags/k.yaml", Self.kmeansDag.replacingOccurrences(of: "data/t.csv", with: "data/nope.csv"))
        let missing = try s.loom("run", "dags/k.yaml")
        #expect(missing.status == 3)
        #expect(missing.stderr.hasPrefix("dags/k.yaml:4:28: error: file 'data/nope.csv' (param 'project_file' of task 'seg') does not exist\n"), "\(missing.stderr)")
    }

    static let quotingDag = """
    params:
      x: hi
    tasks:
      bare: {kind: shell, cmd: 'printf %s {{params.x}} > $LOOM_OUT/out.txt'}
      double: {kind: shell, cmd: 'printf %s "{{params.x}}" > $LOOM_OUT/out.txt'}
      single: {kind: shell, cmd: 'printf %s ''{{params.x}}'' > $LOOM_OUT/out.txt'}
      nested: {kind: shell, cmd: 'printf %s "$(printf %s "{{params.x}}")" > $LOOM_OUT/out.txt'}
      joined: {kind: shell, cmd: 'printf %s "<"{{params.x}}">" > $LOOM_OUT/out.txt'}
      env: {kind: shell, env: {X: '{{params.x}}'}, cmd: 'printf %s "$X" > $LOOM_OUT/out.txt'}

    """

    // Whatever `-P x=...` holds, every placement writes exactly the value and runs nothing.
    @Test(arguments: ["$(touch pwned)", "`touch pwned`", "\"; touch pwned; \"", "'; touch pwned; '", "'hello world'", "a\\b\\", "$HOME ${HOME}", "-n\nx"])
    func hostileOverridesNeverExecute(_ value: String) throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.quotingDag)
        let r = try s.loom("run", "dags/t.yaml", "-P", "x=" + value, "-q")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/pwned"))
        for task in ["bare", "double", "single", "nested", "env"] {
            #expect(s.read("artifacts/latest/t/\(task)/out.txt") == value, "\(task)")
        }
        #expect(s.read("artifacts/latest/t/joined/out.txt") == "<" + value + ">")
    }

    @Test func aPlaceholderInBackquotesIsRefused() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "params:\n  x: hi\ntasks:\n  t: {kind: shell, cmd: 'echo \"`echo {{params.x}}`\" > $LOOM_OUT/o'}\n")
        let r = try s.loom("run", "dags/t.yaml", "-P", "x=$(touch pwned)")
        #expect(r.status == 3)
        #expect(!FileManager.default.fileExists(atPath: s.root + "/pwned"))
        #expect(r.stderr == """
        dags/t.yaml:4:38: error: task 't': {{params.x}} is inside backquotes, where a value cannot be quoted safely
          t: {kind: shell, cmd: 'echo "`echo {{params.x}}`" > $LOOM_OUT/o'}
                                             ^~~~~~~~~~~~
        note: use $( ) instead of backquotes, and write it bare: {{params.x}} is quoted for you
        error: 1 error in dags/t.yaml; nothing ran

        """)
    }
}

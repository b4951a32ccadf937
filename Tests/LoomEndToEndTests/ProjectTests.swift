import Foundation
import Testing
import LoomCore

let twoTasks = """
params: {n: 3}
tasks:
  numbers: {kind: shell, cmd: 'seq 1 {{params.n}} > $LOOM_OUT/n.txt'}
  total:
    kind: shell
    needs: [numbers]
    cmd: awk '{ s += $1 } END { print s }' $LOOM_IN/numbers/n.txt > $LOOM_OUT/total.txt
"""

/// Projects: `loom init`, finding the project from a subdirectory, `-C DIR`, DAGs by name,
/// `--version` (issue 14, "A project, wherever you stand").
@Suite(.serialized) struct ProjectTests {
    func project() -> Sandbox {
        let s = Sandbox()
        s.write("dags/t.yaml", twoTasks)
        return s
    }

    func mkdir(_ path: String) { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }

    @Test func initMakesAProjectWhoseExampleRunsAndIsCachedTheSecondTime() throws {
        let s = Sandbox(marked: false)
        FileSystem.removeTree(s.root + "/dags")
        let made = try s.loom("init")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout == """
        initialised a Loom project in \(s.root)
          created dags/
          created artifacts/
          created experiments/
          created dags/example.yaml
          created .gitignore
          created loom.yaml
        next:
          loom run example     # run the example DAG (dags/example.yaml)
          loom run example     # again: nothing runs
          loom runs            # the recorded runs

        """)
        #expect(s.read("loom.yaml")?.contains("\nloom: 1\n") == true)
        #expect(s.read(".gitignore")?.contains("/artifacts/\n/experiments/\n") == true)
        let started = Date()
        let first = try s.loom("run", "example")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Date().timeIntervalSince(started) < 5, "the example is meant to take well under a second")
        #expect(first.stdout.contains("2 ran, 0 cached"))
        #expect(s.read("artifacts/latest/example/total/total.txt") == "55\n")
        #expect(try s.lastRun().tasks.last?.metrics == ["total": 55])
        #expect(try s.loom("run", "example").stdout.contains("0 ran, 2 cached"))
    }

    @Test func initAgainOverwritesNothingAndSaysSo() throws {
        let s = Sandbox(marked: false)
        #expect(try s.loom("init").status == 0)
        s.write("dags/example.yaml", "# mine\n" + twoTasks)
        s.write(".gitignore", "build/\n")
        let again = try s.loom("init")
        #expect(again.status == 0)
        #expect(again.stdout == """
        \(s.root) is already a Loom project; nothing was overwritten
          kept    dags/ (already there)
          kept    artifacts/ (already there)
          kept    experiments/ (already there)
          kept    .gitignore (already there)
          kept    loom.yaml (already there)
        note: .gitignore does not ignore the store and run records; add these lines to it:
            /artifacts/
            /experiments/
        next:
          loom run example
          loom runs

        """)
        #expect(s.read("dags/example.yaml") == "# mine\n" + twoTasks)
        #expect(s.read(".gitignore") == "build/\n")
    }

    @Test func initIntoANewDirectoryWithSpacesThenRunItWithC() throws {
        let s = Sandbox(marked: false)
        let made = try s.loom("init", "my project")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("next:\n  cd '\(s.root)/my project'\n"))
        let run = try s.loom("-C", "my project", "run", "example", "-q")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(s.read("my project/artifacts/latest/example/total/total.txt") == "55\n")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/artifacts"), "nothing written where loom was started")
    }

    @Test func initRefusesAFile() throws {
        let s = Sandbox(marked: false)
        s.write("file.txt", "x")
        let onFile = try s.loom("init", "file.txt")
        #expect(onFile.status == 2)
        #expect(onFile.stderr == "error: cannot make \(s.root)/file.txt a project: it is a file, not a directory\n")
        let under = try s.loom("init", "file.txt/sub")
        #expect(under.status == 2)
        #expect(under.stderr.hasPrefix("error: cannot make \(s.root)/file.txt/sub a project: "))
        s.write("p/experiments", "not a directory")
        let clash = try s.loom("init", "p")
        #expect(clash.status == 2)
        #expect(clash.stderr == "error: cannot make \(s.root)/p a project: experiments is a file, not a directory\n")
    }

    /// The issue: `cd experiments && loom run ../dags/t.yaml` made a second store there and reran
    /// everything, and `loom runs` anywhere else said `no runs`.
    @Test func fromASubdirectoryTheProjectIsTheOneAbove() throws {
        let s = project()
        #expect(try s.loom("run", "dags/t.yaml", "-q").status == 0)
        mkdir(s.root + "/experiments/deep/er")
        let again = try s.loom(in: "experiments/deep/er", "run", "../../../dags/t.yaml")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("0 ran, 2 cached"))
        #expect(!FileManager.default.fileExists(atPath: s.root + "/experiments/deep/er/artifacts"))
        #expect(try s.loom(in: "experiments/deep/er", "run", "t", "-q").status == 0, "by name")
        #expect(try s.loom(in: "experiments", "run", "dags/t.yaml", "-q").status == 0, "relative to the root")
        let runs = try s.loom(in: "experiments/deep", "runs")
        #expect(runs.stdout.split(separator: "\n").count == 5, "\(runs.stdout)")
        let status = try s.loom(in: "experiments", "status", "t")
        #expect(status.stdout.hasSuffix("2 up to date, 0 stale\n"))
        let path = try s.loom(in: "experiments", "path", "t", "total")
        #expect(path.stdout.hasPrefix(s.root + "/artifacts/trees/"))
    }

    @Test func aDAGBesideYouWinsOverOneUnderDags() throws {
        let s = project()
        mkdir(s.root + "/sub")
        s.write("sub/t.yaml", "tasks:\n  only: {kind: shell, cmd: 'echo sub > $LOOM_OUT/x'}\n")
        let local = try s.loom(in: "sub", "run", "t.yaml")
        #expect(local.status == 0, "\(local.stderr)")
        #expect(local.lines.contains { $0.hasPrefix("run      only") })
        #expect(try s.lastRun().dagPath == "sub/t.yaml")
        #expect(try s.loom(in: "sub", "run", "t", "-q").status == 0)
        #expect(try s.lastRun().dagPath == "dags/t.yaml", "a name (no .yaml) is a DAG under dags/")
    }

    @Test func outsideAProjectEveryCommandSaysSo() throws {
        let s = Sandbox(marked: false)
        for args in [["runs"], ["run", "dags/t.yaml"], ["status", "t"], ["show"], ["diff"], ["du"], ["gc"], ["verify"], ["dag", "t"], ["path", "t", "x"]] {
            let r = try s.loom(args)
            #expect(r.status == 7, "\(args): \(r.stderr)")
            #expect(r.stderr == "error: not inside a Loom project: no loom.yaml in \(s.root) or any directory above it\n"
                    + "hint: run 'loom init' to make \(s.root) a project, or give the project with -C DIR\n", "\(args)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.root + "/artifacts"))
        #expect(try s.loom("kinds").status == 0, "kinds needs no project")
    }

    @Test func aProjectMadeBeforeLoomYamlStillRunsWithAWarning() throws {
        let s = Sandbox(marked: false)
        s.write("dags/t.yaml", twoTasks)
        mkdir(s.root + "/experiments")
        let r = try s.loom("run", "t", "-q")
        #expect(r.status == 0)
        #expect(r.stderr.hasPrefix("warning: \(s.root) has no loom.yaml; using it as the project root because it holds dags/ and experiments/ (run 'loom init'"))
        #expect(try s.loom("init").stdout.contains("  created loom.yaml\n"))
        #expect(try s.loom("run", "t", "-q").stderr.isEmpty)
    }

    @Test func aBrokenProjectFileIsReportedNotSkipped() throws {
        let s = project()
        s.write("loom.yaml", "loom: 1\nremote: {}\n")
        let bad = try s.loom("runs")
        #expect(bad.status == 3)
        #expect(bad.stderr == """
        \(s.root)/loom.yaml:2:1: error: unknown key 'remote' in the project file (known: loom, remotes, default_remote, executor, slurm)
        remote: {}
        ^~~~~~
        note: did you mean 'remotes'?

        """)
        FileSystem.removeTree(s.root + "/loom.yaml")
        mkdir(s.root + "/loom.yaml")
        let dir = try s.loom("run", "t")
        #expect(dir.status == 3)
        #expect(dir.stderr.hasPrefix("error: \(s.root)/loom.yaml is a directory; expected the project file"))
    }

    /// Root reads any file, so an unreadable project file needs another user.
    @Test(.enabled(if: geteuid() == 0, "needs root to become another user"))
    func anUnreadableProjectFileIsReportedNotSkipped() throws {
        let s = project()
        s.becomeUnprivileged()
        chmod(s.root + "/loom.yaml", 0)
        let r = try s.loom("runs")
        #expect(r.status == 3)
        #expect(r.stderr == "error: cannot read project file \(s.root)/loom.yaml: Permission denied\n")
    }

    @Test func dashCBeforeOrAfterTheCommandTwiceAndWrong() throws {
        let s = project()
        mkdir(s.root + "/outer")
        #expect(try s.loom(in: "outer", "-C", "..", "run", "dags/t.yaml", "-q").status == 0)
        let after = try s.loom(in: "outer", "run", "dags/t.yaml", "-C", "..")
        #expect(after.stdout.contains("0 ran, 2 cached"), "\(after.stderr)")
        let twice = try s.loom(in: "/", "-C", s.root, "-C", "outer", "status", "../dags/t.yaml")
        #expect(twice.status == 0, "the second -C is relative to the first: \(twice.stderr)")
        let mixed = try s.loom(in: "/", "-C", s.root, "runs", "-C", "outer", "--limit", "1")
        #expect(mixed.stdout.split(separator: "\n").count == 2, "\(mixed.stderr)")
        let joined = try s.loom(in: "/", "-C\(s.root)", "du")
        #expect(joined.status == 0)
        let missing = try s.loom("-C", "nope", "runs")
        #expect(missing.status == 2)
        #expect(missing.stderr == "error: cannot change to directory 'nope' (-C): No such file or directory\n")
        let file = try s.loom("run", "-C", "dags/t.yaml", "t")
        #expect(file.status == 2)
        #expect(file.stderr == "error: cannot change to directory 'dags/t.yaml' (-C): not a directory\n")
        let kinds = try s.loom("-C", "nope", "kinds")
        #expect(kinds.status == 2)
    }

    @Test func aRemovedCurrentDirectoryIsNamed() throws {
        let s = project()
        mkdir(s.root + "/gone")
        // The shell stands in gone/ and removes it, then starts loom there.
        let line = "cd \(s.root)/gone && rmdir \(s.root)/gone && \(Sandbox.binary) runs"
        let (sh, _, err) = try Child.start(["/bin/sh", "-c", line])
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sh.waitUntilExit()
        #expect(sh.terminationStatus == 6)
        #expect(text == "error: cannot read the current directory (was it removed?); cd to the project or give it with -C DIR\n")
    }

    @Test func aSymlinkIntoTheProjectFindsIt() throws {
        let s = project()
        mkdir(s.root + "/data/raw")
        let outside = Sandbox(marked: false)
        FileSystem.removeTree(outside.root + "/dags")
        symlink(s.root + "/data/raw", outside.root + "/raw")
        let r = try s.loom(in: outside.root + "/raw", "run", "t", "-q")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: s.root + "/artifacts/latest/t/total"))
        let viaC = try s.loom(in: outside.root, "-C", "raw", "status", "t")
        #expect(viaC.stdout.hasSuffix("2 up to date, 0 stale\n"))
    }

    @Test func aMissingDAGSaysWhereItLooked() throws {
        let s = project()
        mkdir(s.root + "/sub")
        let r = try s.loom(in: "sub", "run", "tt")
        #expect(r.status == 3)
        #expect(r.stderr == """
        error: cannot read DAG file sub/tt: no such file
        note: looked for sub/tt, tt, dags/tt, dags/tt.yaml, dags/tt.yml
        note: did you mean 't'?
        error: 1 error in sub/tt; nothing ran

        """)
    }

    @Test func versionPrintsTheReleaseAndTheBuild() throws {
        let s = Sandbox(marked: false)
        let v = try s.loom("--version")
        #expect(v.status == 0)
        let words = v.stdout.split(separator: " ")
        #expect(words.count == 4 && words[0] == "loom" && words[2] == "(build", "\(v.stdout)")
        let id = words.last.map { String($0.dropLast(2)) } ?? ""   // "<hex>)\n"
        #expect(id.count >= 16 && id.allSatisfy(\.isHexDigit), "a GNU build ID in hex: \(v.stdout)")
        // The same digits as the ELF note says (lowercase, two per byte, leading zeros kept).
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/readelf") {
            let notes = try Command.run(["/usr/bin/readelf", "-n", Sandbox.binary]).output
            #expect(notes.contains("Build ID: \(id)\n"), "\(notes)")
        }
        #expect(try s.loom("--version").stdout == v.stdout)
        #expect(try s.loom("-C", "/", "--version").stdout == v.stdout)
        #expect(try s.loom("--help").stdout.contains("--version"))
    }
}

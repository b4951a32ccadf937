import Foundation
import LoomCore
import Testing
@testable import LoomCLI

/// Finding the project from where a command starts, and the DAG a command-line word names.
@Suite struct ProjectRootTests {
    /// A temporary directory tree, removed at the end; `path` is its physical absolute path.
    final class Tree {
        let path: String
        init() {
            let p = NSTemporaryDirectory() + "loom-root-" + UUID().uuidString
            try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
            path = ProjectRoot.realPath(p) ?? p
        }
        deinit { FileSystem.removeTree(path) }
        func dir(_ rel: String) -> String {
            try? FileManager.default.createDirectory(atPath: path + "/" + rel, withIntermediateDirectories: true)
            return path + "/" + rel
        }
        func file(_ rel: String, _ text: String = "") {
            if let slash = rel.lastIndex(of: "/") { _ = dir(String(rel[..<slash])) }
            FileManager.default.createFile(atPath: path + "/" + rel, contents: Data(text.utf8))
        }
    }

    func status(_ body: () throws -> Any) -> LoomCLI.ExitStatus? {
        do { _ = try body(); return nil } catch let e as CLIExit { return e.status } catch { return .internalError }
    }

    @Test func theNearestProjectFileAboveWins() throws {
        let t = Tree()
        t.file("loom.yaml", "loom: 1\n")
        t.file("inner/loom.yaml", "loom: 1\n")
        let deep = t.dir("a/b/c")
        #expect(try ProjectRoot.find(from: deep).root == t.path)
        #expect(try ProjectRoot.find(from: t.dir("inner/x")).root == t.path + "/inner")
        #expect(try ProjectRoot.find(from: t.path).root == t.path)
    }

    @Test func outsideAProjectItSaysSoAndSuggestsInit() throws {
        let t = Tree()
        do {
            _ = try ProjectRoot.find(from: t.dir("x"))
            Issue.record("found a project")
        } catch let e as CLIExit {
            #expect(e.status == .noProject && e.status.rawValue == 7)
            #expect(e.message == "not inside a Loom project: no loom.yaml in \(t.path)/x or any directory above it\n"
                    + "hint: run 'loom init' to make \(t.path)/x a project, or give the project with -C DIR")
        }
    }

    @Test func aProjectMadeBeforeTheProjectFileIsFoundOnlyWhereYouStand() throws {
        let t = Tree()
        _ = t.dir("dags"); _ = t.dir("artifacts")
        let found = try ProjectRoot.find(from: t.path)
        #expect(found.root == t.path)
        #expect(found.legacyWarning?.hasPrefix("\(t.path) has no loom.yaml; using it as the project root because it holds dags/ and artifacts/") == true)
        #expect(status { try ProjectRoot.find(from: t.dir("dags")) } == .noProject, "not from below it: that needs the project file")
        let bare = Tree()
        _ = bare.dir("dags")
        #expect(status { try ProjectRoot.find(from: bare.path) } == .noProject, "dags/ alone is not a project")
    }

    @Test func aProjectFileThatIsADirectoryStopsTheWalk() throws {
        let t = Tree()
        t.file("loom.yaml", "loom: 1\n")
        _ = t.dir("sub/loom.yaml")
        let e = #expect(throws: DiagnosticError.self) { try ProjectRoot.find(from: t.dir("sub/x")) }
        #expect(DiagnosticRenderer().render(e?.diagnostics ?? []) == """
        error: \(t.path)/sub/loom.yaml is a directory; expected the project file (a YAML file holding 'loom: 1')
        note: remove or rename it, or run loom with -C pointing at the project root

        """)
    }

    @Test func anUnreadableOrMalformedProjectFileIsAnError() throws {
        let t = Tree()
        symlink(t.path + "/loom.yaml", t.path + "/loom.yaml")   // a loop: stat fails with ELOOP
        let loop = #expect(throws: DiagnosticError.self) { try ProjectRoot.find(from: t.path) }
        #expect(loop?.description == "cannot read project file \(t.path)/loom.yaml: Too many levels of symbolic links")
        let dangling = Tree()
        symlink(dangling.path + "/nowhere", dangling.path + "/loom.yaml")
        let d = #expect(throws: DiagnosticError.self) { try ProjectRoot.find(from: dangling.path) }
        #expect(d?.description == "cannot read project file \(dangling.path)/loom.yaml: it is a symbolic link to nothing")
        let bad = Tree()
        bad.file("loom.yaml", "loom: 1\ntasks: {}\n")
        let m = #expect(throws: DiagnosticError.self) { try ProjectRoot.find(from: bad.path) }
        #expect(m?.description == "\(bad.path)/loom.yaml:2:1: unknown key 'tasks' in the project file (known: loom, remotes, default_remote, executor, slurm)")
    }

    @Test func directoriesFoldLikeGitAndMake() throws {
        let t = Tree()
        _ = t.dir("a/b c")
        #expect(try ProjectRoot.startDirectory([], current: t.path) == t.path)
        #expect(try ProjectRoot.startDirectory(["a", "b c"], current: t.path) == t.path + "/a/b c")
        #expect(try ProjectRoot.startDirectory([t.path + "/a/b c", ".."], current: "/") == t.path + "/a", "an absolute DIR restarts; .. goes up from it")
        #expect(status { try ProjectRoot.startDirectory(["missing"], current: t.path) } == .usage)
        #expect(status { try ProjectRoot.startDirectory([""], current: t.path) } == .usage)
        t.file("f")
        #expect(status { try ProjectRoot.startDirectory(["f"], current: t.path) } == .usage)
        do { _ = try ProjectRoot.startDirectory(["missing"], current: t.path) } catch let e as CLIExit {
            #expect(e.message == "cannot change to directory 'missing' (-C): No such file or directory")
        }
    }

    @Test func aSymlinkedDirectoryFindsTheProjectItLeadsInto() throws {
        let project = Tree(), outside = Tree()
        project.file("loom.yaml", "loom: 1\n")
        let sub = project.dir("sub")
        symlink(sub, outside.path + "/link")
        let start = try ProjectRoot.startDirectory(["link"], current: outside.path)
        #expect(start == sub)
        #expect(try ProjectRoot.find(from: start).root == project.path)
    }

    @Test func dagWordsResolveFromWhereYouStandThenTheRootThenDags() throws {
        let t = Tree()
        t.file("loom.yaml", "loom: 1\n")
        t.file("dags/demo.yaml")
        t.file("dags/other.yml")
        t.file("sub/demo.yaml")
        _ = t.dir("sub/dags")
        let r = ProjectRoot(start: t.path + "/sub", root: t.path)
        #expect(r.dagFile("demo.yaml") == t.path + "/sub/demo.yaml", "as typed, from where the command started")
        #expect(r.dagFile("dags/demo.yaml") == t.path + "/dags/demo.yaml", "relative to the root")
        #expect(r.dagFile("../dags/demo.yaml") == t.path + "/dags/demo.yaml")
        #expect(r.dagFile("demo") == t.path + "/dags/demo.yaml", "by name")
        #expect(r.dagFile("other") == t.path + "/dags/other.yml")
        #expect(r.dagFile("dags") == nil, "a directory is not a DAG file")
        #expect(r.dagFile("none") == nil)
        #expect(r.dagFile("/abs/x.yaml") == "/abs/x.yaml")
        let e = #expect(throws: DiagnosticError.self) { try r.requireDAGFile("dem") }
        #expect(DiagnosticRenderer().render(e?.diagnostics ?? []) == """
        error: cannot read DAG file sub/dem: no such file
        note: looked for sub/dem, dem, dags/dem, dags/dem.yaml, dags/dem.yml
        note: did you mean 'demo'?

        """)
    }

    @Test func gitignoreSpellings() {
        #expect(ProjectLayout.ignoresStore("/artifacts/*\n!/artifacts/README.md\n/experiments/*\n"))
        #expect(ProjectLayout.ignoresStore("artifacts\n  experiments/  \n"))
        #expect(!ProjectLayout.ignoresStore("artifacts/\n"))
        #expect(!ProjectLayout.ignoresStore(""))
    }

    @Test func pathsPrintedForTheShell() {
        #expect(ProjectLayout.shellQuoted("/tmp/p") == "/tmp/p")
        #expect(ProjectLayout.shellQuoted("/tmp/a b") == "'/tmp/a b'")
        #expect(ProjectLayout.shellQuoted("/tmp/it's") == "'/tmp/it'\\''s'")
    }
}

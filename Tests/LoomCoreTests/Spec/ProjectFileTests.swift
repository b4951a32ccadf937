import Testing
@testable import LoomCore

/// `loom.yaml`, the project file: version 1 holds `loom: 1` and nothing else.
@Suite struct ProjectFileTests {
    func parse(_ text: String) throws -> ProjectFile { try ProjectFile.parse(Array(text.utf8), path: "loom.yaml") }

    /// Whatever `parse` rejects `text` with, rendered as the user sees it.
    func rendered(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "accepted"
        } catch let e as DiagnosticError {
            var r = DiagnosticRenderer()
            r.addSource(path: "loom.yaml", text: text)
            return r.render(e.diagnostics)
        } catch {
            return "\(error)"
        }
    }

    @Test func readsTheVersion() throws {
        #expect(try parse("loom: 1\n") == ProjectFile(version: 1))
        #expect(try parse("# a comment\nloom: 1   # the format\n\n") == ProjectFile(version: 1))
    }

    @Test func whatInitWritesReadsBack() throws {
        #expect(try parse(ProjectFile.initialText) == ProjectFile(version: ProjectFile.currentVersion))
    }

    @Test func aNewerVersionAsksForANewerLoom() {
        #expect(rendered("loom: 2\n") == """
        loom.yaml:1:7: error: the project file has format version 2; this Loom reads versions up to 1
        loom: 2
              ^
        note: upgrade Loom to use this project

        """)
    }

    @Test func executorAndSlurmSettingsAreRead() throws {
        let f = try ProjectFile.parse(Array("loom: 1\nexecutor: slurm\nslurm:\n  partition: batch\n  account: t.a\n  options: [\"--qos=high\"]\n  loom: /opt/loom\n".utf8), path: "loom.yaml")
        var want = ProjectFile.Slurm()
        want.partition = "batch"
        want.account = "t.a"
        want.options = ["--qos=high"]
        want.loom = "/opt/loom"
        #expect(f.executor == "slurm" && f.slurm == want)
    }

    @Test func anUnknownKeyIsATypoWithASuggestion() {
        #expect(rendered("loom: 1\nloon: 1\n") == """
        loom.yaml:2:1: error: unknown key 'loon' in the project file (known: loom, remotes, default_remote, executor, slurm)
        loon: 1
        ^~~~
        note: did you mean 'loom'?

        """)
    }

    @Test(arguments: [
        ("", "loom.yaml:1:1: error: a project file must be a mapping with 'loom: 1'\n\n^\n"),
        ("- loom\n", "loom.yaml:1:1: error: a project file must be a mapping with 'loom: 1'\n- loom\n^\n"),
        ("remotes: {}\n", "loom.yaml:1:1: error: the project file needs 'loom: 1' (its format version)\nremotes: {}\n^\n"),
        ("loom: 1\nremotes: []\n", "loom.yaml:2:10: error: 'remotes' must be a mapping from names to {url: ..., endpoint: ..., region: ...}\nremotes: []\n         ^\n"),
        ("loom: 1\nremotes: {a: {url: s3://b, url: s3://c}}\n", "loom.yaml:2:15: error: duplicate key 'url' in mapping\nremotes: {a: {url: s3://b, url: s3://c}}\n              ^\n"),
        ("name: x\n", "loom.yaml:1:1: error: unknown key 'name' in the project file (known: loom, remotes, default_remote, executor, slurm)\nname: x\n^~~~\n"),
        ("loom: one\n", "loom.yaml:1:7: error: 'loom' must be the format version, a whole number such as 1\nloom: one\n      ^\n"),
        ("loom: '1'\n", "loom.yaml:1:7: error: 'loom' must be the format version, a whole number such as 1\nloom: '1'\n      ^\n"),
        ("loom: 0\n", "loom.yaml:1:7: error: 'loom' must be the format version, a whole number such as 1\nloom: 0\n      ^\n"),
        ("loom: [1]\n", "loom.yaml:1:7: error: 'loom' must be the format version, a whole number such as 1\nloom: [1]\n      ^\n"),
        ("loom: 1\nloom: 1\n", "loom.yaml:1:1: error: duplicate key 'loom' in mapping\nloom: 1\n^\n"),
        ("loom: 1\nexecutor: slurrm\n", "loom.yaml:2:11: error: 'executor' must be one of local, slurm\nexecutor: slurrm\n          ^\nnote: did you mean 'slurm'?\n"),
        ("loom: 1\nslurm: {partition: 'a b'}\n", "loom.yaml:2:20: error: slurm 'partition' must be a name (letters, digits, '-', '_', '.')\nslurm: {partition: 'a b'}\n                   ^\n"),
        ("loom: 1\nslurm: {options: [--chdir=/]}\n", "loom.yaml:2:19: error: sbatch option '--chdir' is set by Loom (Loom runs the job in the project directory)\nslurm: {options: [--chdir=/]}\n                  ^\n"),
        ("loom: 1\nslurm: {loom: bin/loom}\n", "loom.yaml:2:15: error: slurm 'loom' must be the absolute path of the loom binary on the nodes\nslurm: {loom: bin/loom}\n              ^\n"),
        ("loom: 1\nslurm: {shared_fs: no}\n", "loom.yaml:2:20: error: slurm 'shared_fs' must be true or false\nslurm: {shared_fs: no}\n                   ^\n"),
        ("loom: 1\nslurm: {node_dir: scratch}\n", "loom.yaml:2:19: error: slurm 'node_dir' must be an absolute path on the nodes\nslurm: {node_dir: scratch}\n                  ^\n"),
        ("loom: 1\nslurm: {queue: x}\n", "loom.yaml:2:9: error: unknown key 'queue' in 'slurm' (known: partition, account, options, loom, shared_fs, node_dir)\nslurm: {queue: x}\n        ^\n"),
        ("loom: [1\n", "loom.yaml:2:1: error: invalid YAML: did not find expected ',' or ']'\n\n^\nnote: while parsing a flow sequence at line 1, column 7\n"),
    ])
    func malformedFilesSayWhatIsExpected(_ text: String, _ expected: String) {
        #expect(rendered(text) == expected)
    }

    @Test func anEmptyMappingNeedsTheVersion() {
        #expect(rendered("{}\n") == "loom.yaml:1:1: error: the project file needs 'loom: 1' (its format version)\n{}\n^\n")
    }

    /// `parse` reads the usual shape by hand (Yams costs 3 ms a command). Over random files made
    /// of lines that YAML reads in subtly different ways (seeded, so a failure reproduces):
    /// whatever the hand reader accepts, Yams reads as the same project file.
    @Test func theQuickReaderAgreesWithYAML() throws {
        let lines = ["loom: 1", "loom: 2", "loom: 0", "loom: 01", "loom: 1 # c", "loom:  1", "loom: 1#c", "loom: 1   ", "loom: 1\t",
                     "# comment", "", "   ", "  # indented", "loom: x", "remotes: {}", " loom: 1", "---", "loom : 1", "loom:1",
                     "é # ü", "#é", "loom: 10", "\t# tab", "loom: 1 #", "loom: -1", "loom: 1.0", "loom: 99999999999", "loom: 1\r",
                     "...", "loom: [1]", "  loom: 1", "loom: 1 # x: y", "'loom': 1", "\u{FEFF}loom: 1", "loom: 1 \u{0}"]
        var state: UInt64 = 14
        func next(_ n: Int) -> Int {   // splitmix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
        var quick = 0
        for _ in 0..<10000 {
            var text = (0..<(1 + next(4))).map { _ in lines[next(lines.count)] }.joined(separator: "\n")
            if next(2) == 0 { text += "\n" }
            let bytes = Array(text.utf8)
            guard let fast = ProjectFile.quick(bytes) else { continue }
            quick += 1
            #expect(fast == (try? ProjectFile.parseYAML(bytes, path: "loom.yaml")), "\(text.debugDescription)")
        }
        #expect(quick > 300, "the generator should reach the quick reader often")
        #expect(ProjectFile.quick(Array(ProjectFile.initialText.utf8)) == ProjectFile(version: 1), "what init writes takes the quick path")
    }

    @Test func bytesThatAreNotUTF8AreLocated() {
        let e = #expect(throws: DiagnosticError.self) { try ProjectFile.parse([0x6C, 0x6F, 0x6F, 0x6D, 0x3A, 0x20, 0xFF], path: "loom.yaml") }
        #expect(e?.description == "loom.yaml:1:7: the file is not valid UTF-8 here")
    }
}

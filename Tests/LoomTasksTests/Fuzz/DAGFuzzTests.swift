import Foundation
import LoomCore
import Testing
@testable import LoomTasks

/// DAG files, mutated: loading never crashes, every failure is a located diagnostic, output and
/// time stay bounded (each input under 2 s; the whole run under about 4 s).
@Suite struct DAGFuzzTests {
    static let corpus = [
        """
        name: demo
        params: {n: 20, seed: 7, names: [a, b]}
        tasks:
          numbers:
            kind: shell
            cmd: seq 1 {{params.n}} > $LOOM_OUT/numbers.txt
            outputs: [numbers.txt]
          squares:
            kind: shell
            needs: [numbers]
            env: {LC_ALL: C}
            timeout: 5m
            retries: 2
            cmd: awk '{ print $1 * $1 }' $LOOM_IN/numbers/numbers.txt > $LOOM_OUT/values.txt
          picked:
            kind: sample
            needs: [squares]
            params: {input: squares, file: values.txt, n: 5, seed: "{{params.seed}}"}
        """,
        """
        params:
          shared: &shared {a: 1, b: [2, 3]}
        tasks:
          t: {kind: shell, cmd: echo, params: {p: *shared, q: [*shared, *shared]}}
          u: {kind: shell, cmd: echo, needs: [t, t, t]}
        """,
        // The issue's blow-ups, whole: 15.6 s and 3.4 GB; a mapping 20,000 deep; one need 10,000 times.
        YAMLLimitsTests_aliasBomb(levels: 9),
        YAMLLimitsTests_aliasBomb(levels: 5),
        "tasks:\n  t:\n    kind: shell\n    cmd: echo\n    params: " + String(repeating: "{a: ", count: 20_000) + "1" + String(repeating: "}", count: 20_000) + "\n",
        "tasks:\n  a: {kind: shell, cmd: x}\n  b:\n    kind: shell\n    cmd: x\n    needs: [" + Array(repeating: "a", count: 10_000).joined(separator: ", ") + "]\n",
        "params:\n  x: " + String(repeating: "[", count: 28) + String(repeating: "]", count: 28) + "\ntasks: {a: {kind: shell, cmd: x}}\n",
        "tasks:\n  a: {kind: shell, cmd: x}\n  b:\n    kind: shell\n    cmd: x\n    needs: [" + Array(repeating: "a", count: 1_000).joined(separator: ", ") + "]\n",
        """
        tasks:
          tx:
            kind: ingest
            params: {file: data/t.csv, customer: id, time: date, amount: amt, on_bad_row: skip}
          m:
            kind: train
            needs: [tx]
            params: {file: transactions.csv, label: y, ids: [customer]}
        """,
    ]

    static let tokens = [
        "&a ", "*a", "&b [*a, *a, *a, *a, *a, *a, *a, *a, *a]", "<<: *a\n", "[", "]", "{", "}", ", ", ": ", "- ", "? ", "\n", "\n  ",
        "\n    ", "needs: [a, a, a, a]", "{{params.n}}", "{{params.", "\"\\ud800\\u0041\"", "'", "\"", "!!binary ", "!!str ", "---\n",
        "...\n", "%YAML 1.1\n", "\t", "\u{FEFF}", "\u{0}", "#", "|\n", ">-\n", "kind: ", "shell", "tasks:", "params:", "~", "1e999",
    ]

    @Test func mutatedDAGFilesLoadOrGiveLocatedErrors() throws {
        let dir = NSTemporaryDirectory() + "loom-fuzz-" + UUID().uuidString
        try FileSystem.makeDirectories(dir + "/data")
        defer { FileSystem.removeTree(dir) }
        let fuzzer = Fuzzer(corpus: Self.corpus, tokens: Self.tokens)
        let n = fuzzer.run(seed: 10, iterations: 3_000, seconds: 4) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            var renderer = DiagnosticRenderer()
            renderer.addSource(path: "dags/f.yaml", text: text)
            do {
                let (spec, problems) = try SpecParser.parsePartially(text, path: "dags/f.yaml")
                var builder = GraphBuilder(registry: BuiltinKinds.registry, projectRoot: dir)
                _ = try builder.build(spec, digest: Digest(of: text), overrides: [], prior: problems)
            } catch let e as DiagnosticError {
                #expect(!e.diagnostics.isEmpty)
                for d in e.diagnostics {
                    #expect(d.location?.file == "dags/f.yaml" && (d.location?.line ?? 0) >= 1 && (d.location?.column ?? 0) >= 1, "\(d.message)")
                }
                // At most 50 diagnostics of at most about 1 KB each (message, a 120-column line, notes).
                #expect(renderer.render(e.diagnostics).utf8.count < 64 * 1024)
            } catch {
                Issue.record("not a located error: \(error)")
            }
        }
        #expect(n > Self.corpus.count)
        #expect(Fuzzer.peakMemory < Fuzzer.memoryLimit)
    }
}

/// The alias bomb of `YAMLLimitsTests` (that suite is in LoomCoreTests): nine aliases per level.
func YAMLLimitsTests_aliasBomb(levels: Int) -> String {
    var lines = ["params:", "  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in 1..<levels { lines.append("  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
    return (lines + ["tasks:", "  t: {kind: shell, cmd: echo}"]).joined(separator: "\n") + "\n"
}

import Foundation
import Testing
@testable import LoomCore

@Suite struct YAMLLimitsTests {
    /// Nine aliases per level: level n stands for 9^n values (9^9, about 387 million, at the last).
    static func aliasBomb(levels: Int) -> String {
        var lines = ["params:", "  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1..<levels { lines.append("  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        return (lines + ["tasks:", "  t: {kind: shell, cmd: echo}"]).joined(separator: "\n") + "\n"
    }

    @Test func anAliasBombIsRefusedAtTheAliasThatCrossesTheLimitQuickly() {
        let start = Date()
        let out = build(Self.aliasBomb(levels: 10)).failure
        // a0 holds 10 values, a1 91, ..., a5 597,871: a1 to a5 add 672,588 values, and a6's first alias 597,871 more.
        #expect(out == """
        dags/t.yaml:8:12: error: aliases in this file expand to more than 1,000,000 values (each '*name' repeats everything its '&name' holds)
          a6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
                   ^
        note: write the values out, or use fewer levels of aliases of aliases

        """)
        // Before the limit: 15.6 s and 3.4 GB for this file. The scan stops after about a million values.
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test func aliasesUsedAsMappingKeysCountToo() {
        // Yams hashes mapping keys to find duplicates: an aliased key costs its whole expansion.
        let yaml = Self.aliasBomb(levels: 6).replacingOccurrences(of: "tasks:", with: "  ? *a5\n  : 1\n  ? [*a5, *a5]\n  : 2\ntasks:")
        #expect(build(yaml).failure?.hasPrefix("dags/t.yaml:8:5: error: aliases in this file expand to more than 1,000,000 values") == true)
    }

    @Test func ordinaryAliasesAreAccepted() throws {
        let yaml = """
        params:
          shared: &shared {a: 1, b: [2, 3]}
          copy: *shared
        tasks:
          t: {kind: shell, cmd: echo, params: {p: *shared}}
        """
        let spec = try SpecParser.parse(yaml, path: "d.yaml")
        #expect(spec.params.map(\.value.value) == [.map(["a": .int(1), "b": .list([.int(2), .int(3)])]), .map(["a": .int(1), "b": .list([.int(2), .int(3)])])])
        #expect(YAMLLimits.check(Self.aliasBomb(levels: 6), path: "d.yaml") == nil)   // 672,588 aliased values
    }

    @Test func nestingDeeperThanTheLimitIsLocated() {
        let n = 20_000
        let yaml = "tasks:\n  t:\n    kind: shell\n    cmd: echo\n    params: " + String(repeating: "{a: ", count: n) + "1" + String(repeating: "}", count: n) + "\n"
        let start = Date()
        let out = build(yaml).failure ?? ""
        // Levels: file, tasks, t, then the value of params: its 30th '{' is the 33rd level.
        #expect(out.hasPrefix("dags/t.yaml:5:129: error: mappings and lists nested more than 32 deep\n...{a: {a: "))
        #expect(Date().timeIntervalSince(start) < 2)
        let ok = "params:\n  x: " + String(repeating: "[", count: YAMLLimits.maxDepth - 2) + String(repeating: "]", count: YAMLLimits.maxDepth - 2) + "\ntasks: {}\n"
        #expect(YAMLLimits.check(ok, path: "d.yaml") == nil)
    }

    @Test func aliasesCountTheirDepth() {
        // l_i is 2i + 1 deep ([[*prev]] adds two); written at depth 2 inside params, l15 reaches 33.
        var lines = ["params:", "  l0: &l0 [x]"]
        for i in 1...16 { lines.append("  l\(i): &l\(i) [[*l\(i - 1)]]") }
        let out = build((lines + ["tasks: {}"]).joined(separator: "\n")).failure ?? ""
        #expect(out.hasPrefix("dags/t.yaml:17:15: error: mappings and lists nested more than 32 deep"))
    }
}

@Suite struct OverrideLimitsTests {
    /// A -P list is YAML too: the same bounds apply before Yams builds it.
    @Test func aListOverrideWithAnAliasBombIsRefusedQuickly() {
        let bomb = "[" + (0..<9).map { i in "&a\(i + 1) [" + Array(repeating: i == 0 ? "x" : "*a\(i)", count: 9).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
        let start = Date()
        #expect(ParamValue.parse(bomb, like: .list([])) == nil)
        #expect(ParamValue.parse("[" + String(repeating: "[", count: 40) + String(repeating: "]", count: 41), like: .list([])) == nil)
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(ParamValue.parse("[&a [1, 2], *a]", like: .list([])) == .list([.list([.int(1), .int(2)]), .list([.int(1), .int(2)])]))
    }
}

@Suite struct DAGTextTests {
    /// Decoded leniently, "echo \xff" and "echo \xfe" were the same DAG (both U+FFFD).
    @Test func invalidUTF8IsALocatedError() throws {
        #expect(try SpecParser.text(Array("tasks: {}\n".utf8), path: "d.yaml") == "tasks: {}\n")
        let bytes = Array("tasks:\n  a: {kind: shell, cmd: \"é".utf8) + [0xFF] + Array("\"}\n".utf8)
        #expect(throws: DiagnosticError.self) { try SpecParser.text(bytes, path: "d.yaml") }
        do { _ = try SpecParser.text(bytes, path: "d.yaml") } catch let e as DiagnosticError {
            #expect("\(e)" == "d.yaml:2:27: the file is not valid UTF-8 here")
        }
    }
}

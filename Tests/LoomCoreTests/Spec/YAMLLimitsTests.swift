import Foundation
import Testing
import Yams
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
        // An alias of a scalar adds no level, as the scalar written there would not.
        let scalarAlias = "s: &s 1\nparams:\n  x: " + String(repeating: "[", count: 30) + "*s" + String(repeating: "]", count: 30) + "\n"
        #expect(YAMLLimits.check(scalarAlias, path: "d.yaml") == nil)
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

/// The scan is a second reading of the YAML beside the tree Yams builds: on random documents with
/// anchors, aliases of aliases, keys and nesting, both must count the same values (aliases
/// expanded) and the same depth, or the limits would not bound what Yams and the parser walk.
@Suite struct YAMLScanDifferentialTests {
    struct Random {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    /// Flow-style YAML: scalars, lists, mappings with distinct keys, anchors on any node, aliases
    /// to anchors already closed (some as mapping keys' values, some inside anchored nodes).
    struct Generator {
        var rng: Random
        var closed: [String] = []
        var next = 0

        mutating func node(_ level: Int) -> String {
            let r = rng.next(10)
            if r == 0, !closed.isEmpty { return "*" + closed[rng.next(closed.count)] }
            var anchor: String?
            if rng.next(3) == 0 { anchor = "a\(next)"; next += 1 }
            var text: String
            if level >= 5 || r < 4 {
                text = ["x", "1", "'q'", "~", "2.5"][rng.next(5)]
            } else {
                let n = rng.next(4)
                let items = (0..<n).map { i in r % 2 == 0 ? node(level + 1) : "k\(i): " + node(level + 1) }
                text = r % 2 == 0 ? "[" + items.joined(separator: ", ") + "]" : "{" + items.joined(separator: ", ") + "}"
            }
            if let anchor { closed.append(anchor); return "&\(anchor) " + text }
            return text
        }
    }

    /// Values and deepest collection level of a Yams tree (`level` collections around `node`).
    static func measure(_ node: Node, _ level: Int) -> (values: Int, deepest: Int) {
        var values = 1, deepest = level
        let children: [Node]
        switch node {
        case .scalar, .alias: return (1, level)
        case .sequence(let s): children = Array(s)
        case .mapping(let m): children = m.flatMap { [$0.key, $0.value] }
        }
        deepest = level + 1
        for c in children {
            let m = measure(c, level + 1)
            values += m.values
            deepest = max(deepest, m.deepest)
        }
        return (values, deepest)
    }

    @Test func scanAndYamsAgree() throws {
        var checked = 0
        for seed in 0..<400 {
            var g = Generator(rng: Random(state: UInt64(seed)))
            let text = "root: " + g.node(0) + "\nmore: " + g.node(0) + "\n"
            let scan = YAMLLimits.scan(text, path: "r.yaml")
            guard scan.problem == nil, let root = try Yams.compose(yaml: text) else { continue }
            let yams = Self.measure(root, 0)
            #expect(scan.values == yams.values, "\(text)")
            #expect(scan.deepest == yams.deepest, "\(text)")
            checked += 1
        }
        #expect(checked > 300)
    }
}

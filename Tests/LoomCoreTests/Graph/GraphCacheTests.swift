import Testing
@testable import LoomCore

@Suite struct GraphCacheTests {
    @Test func roundTripAndInvalidation() throws {
        let dir = TestDir()
        defer { dir.remove() }
        dir.write("data/in.csv", "x\n")
        let yaml = """
        params: {k: 4, names: [a, b]}
        tasks:
          a: {kind: shell, cmd: 'echo {{params.k}}', files: [data/in.csv], env: {X: '{{params.k}}'}, timeout: 5, retries: 1}
          b: {kind: shell, cmd: 'cat', needs: [a], outputs: [o.txt]}
        """
        var g = try #require(build(yaml, root: dir.path).success)
        // Param text layouts (built-in kinds' string params) survive the cache.
        g.nodes[0].layouts = ["query": .block(file: "dags/t.yaml", firstLine: 9, indent: 8), "title": .line(SourceLocation(file: "dags/t.yaml", line: 3, column: 12))]
        let cache = GraphCache(storeRoot: dir.path + "/artifacts")
        let key = GraphCache.key(dagDigest: g.dagDigest, path: "dags/t.yaml", root: dir.path, overrides: [], registry: KindRegistry())
        cache.save(g, key: key)
        let back = try #require(cache.load(key))
        #expect(GraphCache.encode(back) == GraphCache.encode(g))
        #expect(back.dependents == g.dependents && back.nodes[0].layouts == g.nodes[0].layouts && back.nodes[1].layouts.isEmpty)
        #expect(GraphCache.key(dagDigest: g.dagDigest, path: "dags/t.yaml", root: dir.path, overrides: [("k", "5")], registry: KindRegistry()) != key)
        #expect(GraphCache.key(dagDigest: Digest(of: "other"), path: "dags/t.yaml", root: dir.path, overrides: [], registry: KindRegistry()) != key)
        #expect(GraphCache.key(dagDigest: g.dagDigest, path: "dags/u.yaml", root: dir.path, overrides: [], registry: KindRegistry()) != key, "another file with the same text is another DAG")
        FileSystem.removeTree(dir.path + "/data")
        #expect(cache.load(key) != nil, "declared files are checked by the scan (one stat each), not here")
    }
}

@Suite struct BinaryCacheTests {
    /// A cache file cut short or with bytes after its end reads as nothing (the DAG is parsed again).
    @Test func truncatedOrPaddedGraphsAreRejected() throws {
        let yaml = """
        params: {k: 4, m: {a: [1, 2.5, "x"], b: null, c: true}}
        tasks:
          a: {kind: shell, cmd: 'echo {{params.k}}', timeout: 5}
          b: {kind: shell, cmd: 'cat', needs: [a], env: {X: y}}
        """
        var g = try #require(build(yaml).success)
        g.nodes[1].layouts = ["query": .block(file: "dags/t.yaml", firstLine: 9, indent: 8)]
        let bytes = GraphCache.encode(g)
        #expect(GraphCache.decode(bytes).map(GraphCache.encode) == bytes)
        for cut in stride(from: 0, to: bytes.count, by: 7) { #expect(GraphCache.decode(Array(bytes.prefix(cut))) == nil) }
        #expect(GraphCache.decode(bytes + [0]) == nil)
    }
}

@Suite struct BinaryEncodingTests {
    @Test func varintsDoublesAndStringsRoundTrip() {
        let ints = [0, 1, -1, 63, -64, 64, -65, 127, 128, 300, -300, 1 << 35, Int.max, Int.min, Int.max - 1, Int.min + 1]
        let doubles = [0.0, -0.0, 1.5, -1e-300, .infinity, .greatestFiniteMagnitude]
        var w = BinaryWriter(format: "t 1")
        for i in ints { w.int(i) }
        for d in doubles { w.double(d) }
        w.string("é\u{0}x")
        var r = BinaryReader(w.bytes, format: "t 1")!
        #expect(ints.map { _ in r.int() } == ints.map { Optional($0) })
        #expect(doubles.map { _ in r.double()?.bitPattern } == doubles.map { $0.bitPattern })
        #expect(r.string() == "é\u{0}x" && r.atEnd)
        var one = BinaryWriter(format: "")
        one.int(-64)
        #expect(one.bytes.count == 2, "format length, then one byte")
        #expect(BinaryReader(w.bytes, format: "t 2") == nil)
    }
}

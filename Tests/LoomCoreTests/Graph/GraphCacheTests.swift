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
        let g = try #require(build(yaml, root: dir.path).success)
        let cache = GraphCache(storeRoot: dir.path + "/artifacts")
        let key = GraphCache.key(dagDigest: g.dagDigest, root: dir.path, overrides: [], registry: KindRegistry())
        cache.save(g, key: key)
        let back = try #require(cache.load(key, root: dir.path))
        #expect(GraphCache.encode(back) == GraphCache.encode(g))
        #expect(back.dependents == g.dependents)
        #expect(GraphCache.key(dagDigest: g.dagDigest, root: dir.path, overrides: [("k", "5")], registry: KindRegistry()) != key)
        #expect(GraphCache.key(dagDigest: Digest(of: "other"), root: dir.path, overrides: [], registry: KindRegistry()) != key)
        FileSystem.removeTree(dir.path + "/data")
        #expect(cache.load(key, root: dir.path) == nil, "a declared file vanished: rebuild from the text to report it")
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
        let g = try #require(build(yaml).success)
        let bytes = GraphCache.encode(g)
        #expect(GraphCache.decode(bytes).map(GraphCache.encode) == bytes)
        for cut in stride(from: 0, to: bytes.count, by: 7) { #expect(GraphCache.decode(Array(bytes.prefix(cut))) == nil) }
        #expect(GraphCache.decode(bytes + [0]) == nil)
    }
}

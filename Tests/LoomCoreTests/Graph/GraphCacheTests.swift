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

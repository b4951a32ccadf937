/// A project directory: `dags/`, `artifacts/` (the store) and `experiments/` (run records).
public struct Project: Sendable {
    public let root: String
    public init(root: String) { self.root = FileSystem.absolute(root, base: FileSystem.currentDirectory) }

    public var storeRoot: String { root + "/artifacts" }
    public var runsRoot: String { root + "/experiments" }
    public var runs: RunStore { RunStore(root: runsRoot) }

    /// A path as users see it: relative to the project root when inside it.
    public func display(_ path: String) -> String {
        let abs = FileSystem.absolute(path, base: FileSystem.currentDirectory)
        return abs.hasPrefix(root + "/") ? String(abs.dropFirst(root.count + 1)) : abs
    }

    /// Reads, parses and validates a DAG. Throws `DiagnosticError`; `renderer` gets the source
    /// text so that errors can quote it.
    public func loadGraph(_ dagPath: String, registry: KindRegistry, overrides: [(name: String, value: String)],
                          renderer: inout DiagnosticRenderer) throws -> TaskGraph {
        let shown = display(dagPath)
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readBytes(FileSystem.absolute(dagPath, base: FileSystem.currentDirectory))
        } catch {
            throw DiagnosticError([Diagnostic(.error, "cannot read DAG file \(shown): \(error)")])
        }
        // The renderer gets the text only where a located error can come from: a graph from the
        // cache has none to report, and a no-op run need not copy its DAG into a dictionary.
        let text: String
        do { text = try SpecParser.text(bytes, path: shown) } catch {
            renderer.addSource(path: shown, text: String(decoding: bytes, as: UTF8.self))
            throw error
        }
        let digest = Digest(of: text)
        let cache = GraphCache(storeRoot: storeRoot)
        let key = GraphCache.key(dagDigest: digest, path: shown, root: root, overrides: overrides, registry: registry)
        if var cached = cache.load(key) {
            cached.dagPath = shown
            cached.dagText = text
            return cached
        }
        renderer.addSource(path: shown, text: String(decoding: bytes, as: UTF8.self))
        let (spec, problems) = try SpecParser.parsePartially(text, path: shown)
        var builder = GraphBuilder(registry: registry, projectRoot: root)
        var graph = try builder.build(spec, digest: digest, overrides: overrides, prior: problems)
        graph.cacheKey = key
        graph.dagText = text
        // Cache it for the next load (the first run of a project creates the store here).
        if (try? FileSystem.makeDirectories(storeRoot)) != nil { cache.save(graph, key: key) }
        return graph
    }
}

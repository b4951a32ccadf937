import Foundation

/// Validated graphs, cached by everything they are made from, so that a no-op run of a large DAG
/// does not parse its YAML again (`artifacts/graphs/<key>.bin`).
///
/// Key: SHA-256 over (format version, DAG text digest, the DAG file's path as shown (it names the
/// DAG: two files with the same text are two DAGs), project root, `-P` overrides in order, the
/// shell kind's version, and the kinds: a registry fixed by the build is named by its `identity`,
/// the build itself standing for every kind's version and params (see below); one made by hand
/// is listed, every kind's name, version and param declarations, defaults included, since a graph
/// holds resolved params). Declared files are not checked here: the scan
/// stats each one once anyway, and reports one that is gone. The file is a
/// `CacheFile`: written for one Loom build only (a new build parses DAGs afresh, which also covers
/// defaults computed in code) and checksummed (a damaged one is reported and rebuilt).
/// Format "loom-graph 7" (4: resolved built-in params, shell commands rendered by quoting
/// context, CacheFile envelope; 5: Slurm resources; 6: param text layouts; 7: matrix templates): `BinaryWriter` fields in the order of `encode` (a cache only Loom reads;
/// binary because decoding a thousand-task graph from JSON took most of a no-op run's budget).
public struct GraphCache {
    public static let format = "loom-graph 7"
    let directory: String

    public init(storeRoot: String) { directory = storeRoot + "/graphs" }

    public static func key(dagDigest: Digest, path: String, root: String, overrides: [(name: String, value: String)], registry: KindRegistry) -> Digest {
        var e = CanonicalEncoder()
        e.field("format", format)
        e.field("dag", dagDigest.hex)
        e.field("path", path)
        e.field("root", root)
        e.count("overrides", overrides.count)
        for o in overrides { e.field("name", o.name); e.field("value", o.value) }
        e.field("shell", String(KindRegistry.shellVersion))
        if let identity = registry.identity {
            e.field("kinds", identity)
        } else {
            let kinds = registry.kinds
            e.count("kinds", kinds.count)
            for name in kinds.keys.sorted() {
                let k = kinds[name]!
                e.field("kind", name)
                e.field("version", String(k.version))
                e.field("params", k.params.map { $0.signature }.joined(separator: "\n"))
            }
        }
        return Digest(of: e.bytes)
    }

    public func load(_ key: Digest) -> TaskGraph? {
        guard let bytes = CacheFile.read("\(directory)/\(key.hex).bin", format: Self.format, what: "parsed DAG cache"),
              var g = Self.decode(bytes) else { return nil }
        g.cacheKey = key
        return g
    }

    /// Deletes every cached graph (they are rebuilt from the DAG text on the next load); returns
    /// how many there were. Graphs of DAG texts and overrides no longer used pile up otherwise.
    @discardableResult
    public func clear() -> Int {
        let names = (try? FileSystem.listDirectory(directory)) ?? []
        for n in names { FileSystem.removeTree(directory + "/" + n) }
        return names.count
    }

    public func save(_ g: TaskGraph, key: Digest) {
        guard (try? FileSystem.makeDirectories(directory)) != nil else { return }
        try? FileSystem.writeAtomically("\(directory)/\(key.hex).bin", CacheFile.wrap(Self.encode(g), format: Self.format))
    }

    static func encode(_ g: TaskGraph) -> [UInt8] {
        var w = BinaryWriter(format: format)
        w.string(g.dagPath)
        w.string(g.dagName)
        w.digest(g.dagDigest)
        writeParams(&w, g.params)
        w.strings(g.overridden)
        w.int(g.nodes.count)
        for n in g.nodes {
            w.string(n.id.name)
            w.string(n.kind)
            w.int(n.kindVersion)
            writeParams(&w, n.params)
            w.int(n.needs.count)
            for d in n.needs { w.int(d) }
            w.optional(n.command) { $0.string($1) }
            w.optional(n.renderedCommand) { $0.string($1) }
            w.stringMap(n.env)
            w.strings(n.files)
            w.strings(n.outputs)
            w.optional(n.timeout) { $0.double($1) }
            w.int(n.retries)
            w.string(n.location.file)
            w.int(n.location.line)
            w.int(n.location.column)
            w.optional(n.resources.cpus) { $0.int($1) }
            w.optional(n.resources.memoryBytes) { $0.int(Int($1)) }
            w.optional(n.resources.seconds) { $0.double($1) }
            w.optional(n.resources.partition) { $0.string($1) }
            w.optional(n.resources.account) { $0.string($1) }
            w.strings(n.resources.sbatch)
            w.int(n.layouts.count)
            for k in n.layouts.keys.sorted(by: JSON.byteOrder) {
                w.string(k)
                switch n.layouts[k]! {
                case .line(let at): w.byte(0); w.string(at.file); w.int(at.line); w.int(at.column)
                case .block(let file, let first, let indent): w.byte(1); w.string(file); w.int(first); w.int(indent)
                }
            }
            w.optional(n.template) { $0.string($1) }
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) -> TaskGraph? {
        guard var r = BinaryReader(bytes, format: format), let path = r.string(), let name = r.string(), let digest = r.digest(),
              let params = readParams(&r), let overridden = r.strings(), let count = r.count() else { return nil }
        var nodes: [TaskNode] = []
        nodes.reserveCapacity(count)
        for i in 0..<count {
            guard let id = r.string(), let kind = r.string(), let kv = r.int(), let p = readParams(&r), let nNeeds = r.count() else { return nil }
            var needs: [Int] = []
            for _ in 0..<nNeeds {
                guard let d = r.int(), d >= 0, d < i else { return nil }
                needs.append(d)
            }
            guard let command = r.optional({ $0.string() }), let rendered = r.optional({ $0.string() }), let env = r.stringMap(),
                  let files = r.strings(), let outputs = r.strings(), let timeout = r.optional({ $0.double() }), let retries = r.int(),
                  let file = r.string(), let line = r.int(), let col = r.int(),
                  let cpus = r.optional({ $0.int() }), let memory = r.optional({ $0.int() }), let seconds = r.optional({ $0.double() }),
                  let partition = r.optional({ $0.string() }), let account = r.optional({ $0.string() }), let sbatch = r.strings(),
                  let nLayouts = r.count() else { return nil }
            var layouts: [String: TextLayout] = [:]
            for _ in 0..<nLayouts {
                guard let k = r.string(), let tag = r.byte(), let f = r.string(), let a = r.int(), let b = r.int() else { return nil }
                switch tag {
                case 0: layouts[k] = .line(SourceLocation(file: f, line: a, column: b))
                case 1: layouts[k] = .block(file: f, firstLine: a, indent: b)
                default: return nil
                }
            }
            guard let template = r.optional({ $0.string() }) else { return nil }
            var resources = Resources(cpus: cpus, memoryBytes: memory.map(Int64.init), seconds: seconds)
            resources.partition = partition
            resources.account = account
            resources.sbatch = sbatch
            var node = TaskNode(id: TaskID(id), index: i, kind: kind, kindVersion: kv, params: p, needs: needs,
                                command: command, renderedCommand: rendered, env: env, files: files, outputs: outputs,
                                timeout: timeout, retries: retries, location: SourceLocation(file: file, line: line, column: col),
                                resources: resources)
            node.layouts = layouts
            node.template = template
            nodes.append(node)
        }
        guard r.atEnd else { return nil }
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for n in nodes { for d in n.needs { dependents[d].append(n.index) } }
        return TaskGraph(dagPath: path, dagName: name, dagDigest: digest, params: params, overridden: overridden, nodes: nodes, dependents: dependents)
    }

    private static func writeParams(_ w: inout BinaryWriter, _ m: [String: ParamValue]) {
        w.int(m.count)
        for k in m.keys.sorted(by: JSON.byteOrder) { w.string(k); writeValue(&w, m[k]!) }
    }

    private static func writeValue(_ w: inout BinaryWriter, _ v: ParamValue) {
        switch v {
        case .null: w.byte(0)
        case .bool(let b): w.byte(1); w.bool(b)
        case .int(let i): w.byte(2); w.int(i)
        case .float(let d): w.byte(3); w.double(d)
        case .string(let s): w.byte(4); w.string(s)
        case .list(let a): w.byte(5); w.int(a.count); for x in a { writeValue(&w, x) }
        case .map(let m): w.byte(6); writeParams(&w, m)
        }
    }

    private static func readParams(_ r: inout BinaryReader) -> [String: ParamValue]? {
        guard let n = r.count() else { return nil }
        var m: [String: ParamValue] = [:]
        for _ in 0..<n { guard let k = r.string(), let v = readValue(&r) else { return nil }; m[k] = v }
        return m
    }

    private static func readValue(_ r: inout BinaryReader) -> ParamValue? {
        switch r.byte() {
        case 0: return .null
        case 1: return r.bool().map(ParamValue.bool)
        case 2: return r.int().map(ParamValue.int)
        case 3: return r.double().map(ParamValue.float)
        case 4: return r.string().map(ParamValue.string)
        case 5:
            guard let n = r.count() else { return nil }
            var a: [ParamValue] = []
            for _ in 0..<n { guard let v = readValue(&r) else { return nil }; a.append(v) }
            return .list(a)
        case 6: return readParams(&r).map(ParamValue.map)
        default: return nil
        }
    }
}

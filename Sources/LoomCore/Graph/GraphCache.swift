import Foundation

/// Validated graphs, cached by everything they are made from, so that a no-op run of a large DAG
/// does not parse its YAML again (`artifacts/graphs/<key>.json`).
///
/// Key: SHA-256 over (format version, DAG text digest, project root, `-P` overrides in order, and
/// every built-in kind's name, version and param names). A hit is used only if every declared file
/// still exists; otherwise the DAG is rebuilt from its text, which reports the problem.
/// Format, version 1: `{"format": "loom-graph 1", "dagPath", "dagName", "dagDigest", "params",
/// "overridden", "nodes": [...]}` with each node's fields as in `TaskNode`.
public struct GraphCache {
    public static let format = "loom-graph 1"
    let directory: String

    public init(storeRoot: String) { directory = storeRoot + "/graphs" }

    public static func key(dagDigest: Digest, root: String, overrides: [(name: String, value: String)], registry: KindRegistry) -> Digest {
        var e = CanonicalEncoder()
        e.field("format", format)
        e.field("dag", dagDigest.hex)
        e.field("root", root)
        e.count("overrides", overrides.count)
        for o in overrides { e.field("name", o.name); e.field("value", o.value) }
        e.count("kinds", registry.kinds.count)
        for name in registry.kinds.keys.sorted() {
            let k = registry.kinds[name]!
            e.field("kind", name)
            e.field("version", String(k.version))
            e.field("params", k.params.map(\.name).joined(separator: ","))
        }
        return Digest(of: e.bytes)
    }

    public func load(_ key: Digest, root: String) -> TaskGraph? {
        guard let bytes = try? FileSystem.readBytes("\(directory)/\(key.hex).json"), let j = try? JSON.parse(bytes),
              let g = Self.decode(j) else { return nil }
        for n in g.nodes { for f in n.files where !FileSystem.exists(f == "." ? root : root + "/" + f) { return nil } }
        return g
    }

    public func save(_ g: TaskGraph, key: Digest) {
        guard (try? FileSystem.makeDirectories(directory)) != nil else { return }
        try? FileSystem.writeAtomically("\(directory)/\(key.hex).json", Self.encode(g).encoded())
    }

    static func encode(_ g: TaskGraph) -> JSON {
        .object([
            "format": .string(format), "dagPath": .string(g.dagPath), "dagName": .string(g.dagName), "dagDigest": .string(g.dagDigest.hex),
            "params": .object(g.params.mapValues(\.json)), "overridden": .array(g.overridden.map { .string($0) }),
            "nodes": .array(g.nodes.map { n in
                var o: [String: JSON] = [
                    "id": .string(n.id.name), "kind": .string(n.kind), "kindVersion": .int(n.kindVersion),
                    "params": .object(n.params.mapValues(\.json)), "needs": .array(n.needs.map { .int($0) }),
                    "env": .object(n.env.mapValues { .string($0) }), "files": .array(n.files.map { .string($0) }),
                    "outputs": .array(n.outputs.map { .string($0) }), "retries": .int(n.retries),
                    "location": .array([.string(n.location.file), .int(n.location.line), .int(n.location.column)]),
                ]
                if let c = n.command { o["command"] = .string(c) }
                if let c = n.renderedCommand { o["renderedCommand"] = .string(c) }
                if let t = n.timeout { o["timeout"] = .number(t) }
                return .object(o)
            }),
        ])
    }

    static func decode(_ j: JSON) -> TaskGraph? {
        guard j["format"]?.string == format, let path = j["dagPath"]?.string, let name = j["dagName"]?.string,
              let digest = j["dagDigest"]?.string.flatMap(Digest.init(hex:)), let nodesJSON = j["nodes"]?.array else { return nil }
        var nodes: [TaskNode] = []
        for (i, n) in nodesJSON.enumerated() {
            guard let id = n["id"]?.string, let kind = n["kind"]?.string, let kv = n["kindVersion"]?.int,
                  let loc = n["location"]?.array, loc.count == 3, let file = loc[0].string, let line = loc[1].int, let col = loc[2].int
            else { return nil }
            let needs = (n["needs"]?.array ?? []).compactMap(\.int)
            guard needs.allSatisfy({ $0 >= 0 && $0 < i }) else { return nil }
            nodes.append(TaskNode(
                id: TaskID(id), index: i, kind: kind, kindVersion: kv,
                params: (n["params"]?.object ?? [:]).mapValues(ParamValue.init(json:)), needs: needs,
                command: n["command"]?.string, renderedCommand: n["renderedCommand"]?.string,
                env: (n["env"]?.object ?? [:]).compactMapValues(\.string), files: (n["files"]?.array ?? []).compactMap(\.string),
                outputs: (n["outputs"]?.array ?? []).compactMap(\.string), timeout: n["timeout"]?.double,
                retries: n["retries"]?.int ?? 0, location: SourceLocation(file: file, line: line, column: col)))
        }
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for n in nodes { for d in n.needs { dependents[d].append(n.index) } }
        return TaskGraph(dagPath: path, dagName: name, dagDigest: digest, params: (j["params"]?.object ?? [:]).mapValues(ParamValue.init(json:)),
                         overridden: (j["overridden"]?.array ?? []).compactMap(\.string), nodes: nodes, dependents: dependents)
    }
}

/// The last build of each task of one DAG: its key and artifact. Used to explain staleness (the
/// last key's manifest is diffed against the new one), as a fast path for lookups (same key and
/// artifact present: no need to read the key entry), and by `loom path`.
///
/// File format, version 1 (`artifacts/state/<dag>.tsv`): a first line `loom-state 1`, then
/// `task<TAB>key-hex<TAB>artifact-hex` per task, sorted by task name.
public struct BuildState: Equatable, Sendable {
    public struct Record: Equatable, Sendable {
        public var key: CacheKey
        public var artifact: Digest
        public init(key: CacheKey, artifact: Digest) { self.key = key; self.artifact = artifact }
    }

    public var tasks: [String: Record] = [:]

    public init() {}

    public static func path(storeRoot: String, dag: String) -> String { "\(storeRoot)/state/\(dag).tsv" }

    public static func load(_ path: String) -> BuildState {
        var s = BuildState()
        guard let text = try? FileSystem.readText(path) else { return s }
        let lines = text.split(separator: "\n")
        guard lines.first == "loom-state 1" else { return s }
        for line in lines.dropFirst() {
            let f = line.split(separator: "\t")
            guard f.count == 3, let k = CacheKey(hex: String(f[1])), let d = Digest(hex: String(f[2])) else { continue }
            s.tasks[String(f[0])] = Record(key: k, artifact: d)
        }
        return s
    }

    public func save(_ path: String) throws {
        var out = "loom-state 1\n"
        for t in tasks.keys.sorted(by: JSON.byteOrder) {
            let r = tasks[t]!
            out += "\(t)\t\(r.key.hex)\t\(r.artifact.hex)\n"
        }
        try FileSystem.writeAtomically(path, out)
    }
}

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
        guard let bytes = try? FileSystem.readBytes(path) else { return s }
        let header = Array("loom-state 1\n".utf8)
        guard bytes.starts(with: header) else { return s }
        var start = header.count
        s.tasks.reserveCapacity(bytes.count / 140)
        // Each line: task TAB 64 hex TAB 64 hex. A line that does not parse is skipped (its task
        // then looks never built, which only costs a rebuild).
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            if let tab = bytes[start..<end].firstIndex(of: 0x09), end - tab == 130, bytes[tab + 65] == 0x09,
               let k = Digest(hexUTF8: bytes[(tab + 1)..<(tab + 65)]), let d = Digest(hexUTF8: bytes[(tab + 66)..<end]) {
                s.tasks[String(decoding: bytes[start..<tab], as: UTF8.self)] = Record(key: CacheKey(k), artifact: d)
            }
            start = end + 1
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

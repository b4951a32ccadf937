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
        parse((try? FileSystem.readBytes(path)) ?? [])
    }

    /// The state in a file's bytes (empty if they are not a build state).
    public static func parse(_ bytes: [UInt8]) -> BuildState {
        var s = BuildState()
        let header = Array("loom-state 1\n".utf8)
        guard bytes.starts(with: header) else { return s }
        var start = header.count
        s.tasks.reserveCapacity(bytes.count / 132)   // the shortest line is 132 bytes
        // Each line: task TAB 64 hex TAB 64 hex. A line that does not parse is skipped (its task
        // then looks never built, which only costs a rebuild).
        bytes.withUnsafeBufferPointer { b in
            while start < b.count {
                var end = start
                while end < b.count && b[end] != 0x0A { end += 1 }
                if let tab = b[start..<end].firstIndex(of: 0x09), end - tab == 130, b[tab + 65] == 0x09,
                   let k = Digest(hexUTF8: UnsafeBufferPointer(rebasing: b[(tab + 1)..<(tab + 65)])),
                   let d = Digest(hexUTF8: UnsafeBufferPointer(rebasing: b[(tab + 66)..<end])) {
                    s.tasks[String(decoding: UnsafeBufferPointer(rebasing: b[start..<tab]), as: UTF8.self)] = Record(key: CacheKey(k), artifact: d)
                }
                start = end + 1
            }
        }
        return s
    }

    public func encoded() -> [UInt8] {
        var out = "loom-state 1\n"
        for t in tasks.keys.sorted(by: JSON.byteOrder) {
            let r = tasks[t]!
            out += "\(t)\t\(r.key.hex)\t\(r.artifact.hex)\n"
        }
        return Array(out.utf8)
    }

    public func save(_ path: String) throws {
        try FileSystem.writeAtomically(path, encoded())
    }
}

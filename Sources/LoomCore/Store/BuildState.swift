/// The last build of each task of one DAG: its key and artifact. Used to explain staleness (the
/// last key's manifest is diffed against the new one), as a fast path for lookups (same key and
/// artifact present: no need to read the key entry), and by `loom path`.
///
/// File format, version 2 (`artifacts/state/<dag>.tsv`): a first line `loom-state 2`, then
/// `task<TAB>key-hex<TAB>artifact-hex` per task, sorted by task name, then a last line
/// `sum<TAB>sha256-hex` of every byte before it: a state whose bytes changed is not trusted (it
/// reads as empty, with a warning: every task looks never built, which costs only a rebuild).
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
        parse((try? FileSystem.readBytes(path)) ?? [], path: path)
    }

    /// The state in a file's bytes (empty if they are not a build state).
    public static func parse(_ bytes: [UInt8], path: String = "build state") -> BuildState {
        var s = BuildState()
        let header = Array("loom-state 2\n".utf8)
        guard bytes.starts(with: header) else { return s }
        // The last line is the checksum of everything before it.
        let sumLine = 4 + 64 + 1
        guard bytes.count >= header.count + sumLine, bytes.last == 0x0A,
              bytes[(bytes.count - sumLine)..<(bytes.count - sumLine + 4)].elementsEqual("sum\t".utf8),
              Digest(hexUTF8: bytes[(bytes.count - 65)..<(bytes.count - 1)]) == Digest(of: Array(bytes[0..<(bytes.count - sumLine)])) else {
            Notices.add("\(path) is damaged (checksum mismatch); ignoring it: its tasks look never built")
            return s
        }
        let bytes = Array(bytes[0..<(bytes.count - sumLine)])
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
        // Bytes, not string interpolation: written after every run that changed a task.
        var body = Array("loom-state 2\n".utf8)
        body.reserveCapacity(32 + tasks.count * 160)
        let names = tasks.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }   // byte order
        for name in names {
            let r = tasks[String(decoding: name, as: UTF8.self)]!
            body += name
            body.append(0x09)
            r.key.digest.appendHex(to: &body)
            body.append(0x09)
            r.artifact.appendHex(to: &body)
            body.append(0x0A)
        }
        return body + Array("sum\t\(Digest(of: body).hex)\n".utf8)
    }

    /// With `trash`, the state it replaces is deleted later (`FileSystem.replace`).
    public func save(_ path: String, trash: String? = nil) throws {
        try FileSystem.writeAtomically(path, encoded(), trash: trash)
    }
}

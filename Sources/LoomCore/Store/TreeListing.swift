#if canImport(Glibc)
import Glibc
#endif

/// The canonical listing of an artifact directory; its SHA-256 is the artifact's digest.
///
/// Format, version 1: a first line `loom-tree 1`, then one line per entry sorted by path bytes:
///   `f <file-digest> <size> <path>`   regular file
///   `x <file-digest> <size> <path>`   executable regular file
///   `d - 0 <path>`                    directory (so empty directories count)
///   `l - 0 <path> -> <target>`        relative symbolic link that stays inside the artifact
/// Paths are JSON-quoted and relative to the artifact root. Owner, times and other mode bits are
/// not part of the identity, so the same bytes give the same digest on any machine.
public struct TreeListing: Equatable, Sendable {
    public enum Kind: String, Sendable { case file = "f", executable = "x", directory = "d", link = "l" }

    public struct Entry: Equatable, Sendable {
        public var kind: Kind
        public var path: String
        public var digest: Digest?
        public var size: Int64
        public var target: String?
    }

    public var entries: [Entry]

    public var text: String {
        var out = "loom-tree 1\n"
        for e in entries.sorted(by: { JSON.byteOrder($0.path, $1.path) }) {
            let p = JSON.string(e.path).encoded()
            switch e.kind {
            case .file, .executable: out += "\(e.kind.rawValue) \(e.digest!.hex) \(e.size) \(p)\n"
            case .directory: out += "d - 0 \(p)\n"
            case .link: out += "l - 0 \(p) -> \(JSON.string(e.target ?? "").encoded())\n"
            }
        }
        return out
    }

    public var digest: Digest { Digest(of: text) }
    public var totalSize: Int64 { entries.reduce(0) { $0 + $1.size } }

    public enum Problem: Error, CustomStringConvertible, Sendable {
        case escapingLink(path: String, target: String)
        case unsupported(path: String)
        case io(FileSystem.Failure)

        public var description: String {
            switch self {
            case let .escapingLink(p, t):
                return "output '\(p)' is a symbolic link to '\(t)', which escapes $LOOM_OUT (artifacts must be self-contained)"
            case let .unsupported(p): return "output '\(p)' is not a regular file, directory or symbolic link"
            case let .io(f): return f.description
            }
        }
    }

    /// Lists a directory, calling `visitFile(absolutePath, relativePath, isExecutable)` for each
    /// regular file to obtain its digest (the store uses this to move files into its blob area).
    public static func scan(_ root: String, visitFile: (String, String, Bool, Int64) throws -> Digest) throws -> TreeListing {
        var entries: [Entry] = []
        func walk(_ rel: String) throws {
            let abs = rel.isEmpty ? root : root + "/" + rel
            let names: [String]
            do { names = try FileSystem.listDirectory(abs) } catch let f as FileSystem.Failure { throw Problem.io(f) }
            for name in names {
                let r = rel.isEmpty ? name : rel + "/" + name
                let a = root + "/" + r
                var st = stat()
                guard lstat(a, &st) == 0 else { throw Problem.io(FileSystem.fail("cannot stat", a)) }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    entries.append(Entry(kind: .directory, path: r, digest: nil, size: 0, target: nil))
                    try walk(r)
                case S_IFREG:
                    let exec = st.st_mode & 0o100 != 0
                    let d = try visitFile(a, r, exec, Int64(st.st_size))
                    entries.append(Entry(kind: exec ? .executable : .file, path: r, digest: d, size: Int64(st.st_size), target: nil))
                case S_IFLNK:
                    var buf = [CChar](repeating: 0, count: 4096)
                    let n = readlink(a, &buf, buf.count - 1)
                    let target = n >= 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
                    let depth = r.split(separator: "/").count - 1
                    guard !target.hasPrefix("/"), staysInside(target, depth: depth) else {
                        throw Problem.escapingLink(path: r, target: target)
                    }
                    entries.append(Entry(kind: .link, path: r, digest: nil, size: 0, target: target))
                default:
                    throw Problem.unsupported(path: r)
                }
            }
        }
        try walk("")
        return TreeListing(entries: entries)
    }

    /// Whether a relative link target, starting `depth` directories below the root, stays inside it.
    static func staysInside(_ target: String, depth: Int) -> Bool {
        var level = depth
        for part in target.split(separator: "/") {
            if part == ".." { level -= 1 } else if part != "." { level += 1 }
            if level < 0 { return false }
        }
        return true
    }
}

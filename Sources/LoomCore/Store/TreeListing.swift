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
        for e in JSON.byteOrderPermutation(entries.map(\.path)).map({ entries[$0] }) {
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
                    guard resolvesInside(root: root, link: r, target: target) else {
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

    /// Parses a listing's text, which may come from an untrusted place (a remote cache): nil
    /// unless it is exactly what `text` would print for its entries, and it describes a tree
    /// that can be built safely: relative paths without empty, `.` or `..` components, each
    /// entry's parent listed as a directory before it (so no path runs through a link), file
    /// digests and sizes present, link targets relative.
    public static func parse(_ text: String) -> TreeListing? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == "loom-tree 1", lines.last == "" else { return nil }
        lines = Array(lines.dropFirst().dropLast())
        var entries: [Entry] = []
        var directories: Set<String> = [""]
        for line in lines {
            let f = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count == 4, let kind = Kind(rawValue: String(f[0])) else { return nil }
            var rest = String(f[3])
            var target: String?
            if kind == .link {
                guard let arrow = rest.range(of: "\" -> \"") else { return nil }
                guard case .string(let t)? = try? JSON.parse(String(rest[rest.index(after: arrow.lowerBound)...].dropFirst(4))) else { return nil }
                target = t
                rest = String(rest[...arrow.lowerBound])
            }
            guard case .string(let path)? = try? JSON.parse(rest) else { return nil }
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard !path.isEmpty, !path.hasPrefix("/"), parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
                  !path.contains("\u{0}"), directories.contains(parts.dropLast().joined(separator: "/")) else { return nil }
            switch kind {
            case .file, .executable:
                guard let d = Digest(hex: String(f[1])), let size = Int64(f[2]), size >= 0 else { return nil }
                entries.append(Entry(kind: kind, path: path, digest: d, size: size, target: nil))
            case .directory:
                guard f[1] == "-", f[2] == "0" else { return nil }
                directories.insert(path)
                entries.append(Entry(kind: .directory, path: path, digest: nil, size: 0, target: nil))
            case .link:
                guard f[1] == "-", f[2] == "0", let t = target, !t.hasPrefix("/"), !t.contains("\u{0}") else { return nil }
                entries.append(Entry(kind: .link, path: path, digest: nil, size: 0, target: t))
            }
        }
        let listing = TreeListing(entries: entries)
        return listing.text == text ? listing : nil
    }

    /// Most links followed while resolving one (Linux's own limit, ELOOP).
    static let maxLinkHops = 40

    /// Whether the link at `link` (a path relative to `root`) pointing at `target` resolves
    /// inside `root` when it, and every link met on the way, is followed the way the kernel
    /// would (`ln -s . a; ln -s a/a/../../etc/passwd l` leaves through `a`, though the text of
    /// its target does not). A target that does not exist resolves lexically from there on.
    static func resolvesInside(root: String, link: String, target: String) -> Bool {
        var resolved: [Substring] = link.split(separator: "/").dropLast()
        var pending: [Substring] = Array(target.split(separator: "/", omittingEmptySubsequences: false).reversed())
        guard !target.hasPrefix("/") else { return false }
        var hops = 0
        while let c = pending.popLast() {
            if c.isEmpty || c == "." { continue }
            if c == ".." {
                if resolved.isEmpty { return false }
                resolved.removeLast()
                continue
            }
            let candidate = root + "/" + (resolved + [c]).joined(separator: "/")
            var st = stat()
            if lstat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFLNK {
                hops += 1
                guard hops <= maxLinkHops, let next = readLink(candidate), !next.hasPrefix("/") else { return false }
                pending += next.split(separator: "/", omittingEmptySubsequences: false).reversed()
            } else {
                resolved.append(c)
            }
        }
        return true
    }

    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        return n >= 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
}

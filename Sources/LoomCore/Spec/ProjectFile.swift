import Yams

/// The project file, `loom.yaml` at a project's root: it marks the root (commands run in any
/// subdirectory walk up to it, as git does to `.git`) and holds project-wide settings.
///
/// Format, version 1 (YAML, UTF-8, a mapping):
///
///     # comments anywhere
///     loom: 1          # required: the format version, an integer
///
/// That is every key of version 1. Keys added later without changing what existing keys mean
/// (issue 11 plans `remotes:`) keep the version; a Loom that does not know a key refuses the file
/// (an unknown key is most often a typo) with "did you mean". A file of a newer version is refused
/// with a note to upgrade Loom. The same YAML limits as DAG files apply (`YAMLLimits`).
public struct ProjectFile: Equatable, Sendable {
    /// The file's name at the project root.
    public static let name = "loom.yaml"
    /// The newest format version this build reads and the one `loom init` writes.
    public static let currentVersion = 1
    public static let keys = ["loom"]

    public var version: Int

    public init(version: Int = ProjectFile.currentVersion) { self.version = version }

    /// The text `loom init` writes.
    public static var initialText: String {
        """
        # Loom project file: marks this directory as the project root (loom finds it from any
        # subdirectory). Format version 1; see README.md of Loom, "Projects".
        loom: \(currentVersion)

        """
    }

    /// Parses the file's bytes; `path` is how errors name the file. Throws `DiagnosticError`
    /// listing every problem.
    ///
    /// Every command reads this file, and Yams' first parse in a process costs about 1.7 ms (its
    /// scalar resolver compiles regular expressions): a no-op `loom run dags/demo.yaml --dry-run`
    /// took 5.2 ms with it, 3.5 ms without (release build, minimum of 80). So the usual
    /// shape, comments and `loom: N`, is read by hand (`quick`); anything else goes to Yams, which
    /// also locates every error. A differential test keeps the two equal (`ProjectFileTests`).
    public static func parse(_ bytes: [UInt8], path: String) throws -> ProjectFile {
        if let quick = quick(bytes) { return quick }
        return try parseYAML(bytes, path: path)
    }

    /// The file read without a YAML parser, or nil if it is not of the usual shape: UTF-8, lines
    /// split by `\n` only, each blank, a comment (spaces, then `#`), or exactly once `loom: N`
    /// (N a version this build reads, no leading zero; then spaces and an optional ` # comment`).
    static func quick(_ bytes: [UInt8]) -> ProjectFile? {
        guard String(validating: bytes, as: UTF8.self) != nil, !bytes.contains(0x0D), !bytes.starts(with: [0xEF, 0xBB, 0xBF]) else { return nil }
        var version: Int?
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let body = line.drop { $0 == 0x20 }
            if body.isEmpty || body.first == 0x23 { continue }   // blank, or a comment
            let key = Array("loom: ".utf8)
            guard version == nil, line.starts(with: key) else { return nil }
            var rest = line.dropFirst(key.count).drop { $0 == 0x20 }
            let digits = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }
            guard let first = digits.first, first != 0x30, digits.count <= 9 else { return nil }
            rest = rest.dropFirst(digits.count)
            let spaces = rest.prefix { $0 == 0x20 }
            rest = rest.dropFirst(spaces.count)
            guard rest.isEmpty || (!spaces.isEmpty && rest.first == 0x23) else { return nil }
            let n = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard n <= currentVersion else { return nil }   // the full parser says why not
            version = n
        }
        return version.map { ProjectFile(version: $0) }
    }

    /// The file read with Yams: any YAML, every problem located.
    static func parseYAML(_ bytes: [UInt8], path: String) throws -> ProjectFile {
        let text = try SpecParser.text(bytes, path: path)
        var problems: [Diagnostic] = []
        let start = SourceLocation(file: path, line: 1, column: 1)
        if let tooBig = YAMLLimits.check(text, path: path) { throw DiagnosticError([tooBig]) }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw DiagnosticError([SpecParser.diagnostic(for: e, path: path)])
        }
        func at(_ node: Node) -> SourceLocation { SourceLocation(file: path, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1) }
        guard let root, case .mapping(let top) = root else {
            throw DiagnosticError([Diagnostic(.error, "a project file must be a mapping with 'loom: \(currentVersion)'",
                                              at: root.map(at) ?? start)])
        }
        var version: Int?
        for (k, v) in top {
            guard case .scalar(let key) = k else {
                problems.append(Diagnostic(.error, "expected a key here, found a \(SpecParser.shape(k))", at: at(k)))
                continue
            }
            switch key.string {
            case "loom":
                guard case .scalar(let s) = v, s.style == .plain, let n = Int(s.string), n >= 1 else {
                    problems.append(Diagnostic(.error, "'loom' must be the format version, a whole number such as \(currentVersion)", at: at(v)))
                    continue
                }
                if n > currentVersion {
                    problems.append(Diagnostic(.error, "the project file has format version \(n); this Loom reads versions up to \(currentVersion)",
                                               at: at(v), notes: ["upgrade Loom to use this project"]))
                }
                version = n
            default:
                problems.append(Diagnostic(.error, "unknown key '\(key.string)' in the project file (known: \(keys.joined(separator: ", ")))", at: at(k),
                                           length: key.string.unicodeScalars.count, notes: Suggestion.notes(for: key.string, in: keys)))
            }
        }
        if version == nil && problems.isEmpty {
            problems.append(Diagnostic(.error, "the project file needs 'loom: \(currentVersion)' (its format version)", at: at(root)))
        }
        if !problems.isEmpty { throw DiagnosticError(problems) }
        return ProjectFile(version: version ?? currentVersion)
    }
}

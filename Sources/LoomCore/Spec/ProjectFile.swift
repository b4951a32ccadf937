import Foundation
import Yams

/// The project file, `loom.yaml` at a project's root: it marks the root (commands run in any
/// subdirectory walk up to it, as git does to `.git`) and holds project-wide settings.
///
/// Format, version 1 (YAML, UTF-8, a mapping):
///
///     # comments anywhere
///     loom: 1          # required: the format version, an integer
///     remotes:         # optional: shared caches, by name (`loom remote add` writes these)
///       team: {url: "s3://BUCKET/PREFIX", endpoint: "http://HOST:PORT", region: eu-west-1}
///     default_remote: team   # optional: the remote `run --remote`, `push` and `pull` use
///     executor: slurm  # optional: where `loom run` runs tasks: local (the default) or slurm
///     slurm:           # optional: how jobs are submitted with --executor slurm
///       partition: batch           # optional
///       account: team-a            # optional
///       options: ["--qos=normal"]  # optional: more sbatch options for every job
///       loom: /opt/loom/bin/loom   # optional: the loom binary as the nodes see it
///       shared_fs: false           # optional (default true): the nodes do not see the project;
///                                  # tasks travel through the remote cache (needs a remote)
///       node_dir: /scratch         # optional (default /tmp): where jobs work on the nodes then
///
/// A remote's `url` is required; `endpoint` (an S3-compatible server) and `region` are optional.
/// Credentials never go here: they come from the environment (`AWS_*`, `~/.aws`).
/// Keys added later without changing what existing keys mean keep the version (`remotes`,
/// `default_remote`, `executor` and `slurm` came after the first release of version 1); a Loom that does not know a key refuses the file
/// (an unknown key is most often a typo) with "did you mean". A file of a newer version is refused
/// with a note to upgrade Loom. The same YAML limits as DAG files apply (`YAMLLimits`).
public struct ProjectFile: Equatable, Sendable {
    /// The file's name at the project root.
    public static let name = "loom.yaml"
    /// The newest format version this build reads and the one `loom init` writes.
    public static let currentVersion = 1
    public static let keys = ["loom", "remotes", "default_remote", "executor", "slurm"]
    public static let slurmKeys = ["partition", "account", "options", "loom", "shared_fs", "node_dir"]
    public static let executors = ["local", "slurm"]
    public static let remoteKeys = ["url", "endpoint", "region"]

    public var version: Int
    /// Remote caches by name, in the file's order.
    public var remotes: [Remote] = []
    public var defaultRemote: String?
    /// `local` or `slurm` (nil: local).
    public var executor: String?
    public var slurm = Slurm()

    /// Settings for the Slurm executor (see the format above).
    public struct Slurm: Equatable, Sendable {
        public var partition: String?
        public var account: String?
        public var options: [String] = []
        public var loom: String?
        public var sharedFS = true
        public var nodeDirectory: String?
        public init() {}
    }

    /// A shared cache the project names (see the format above).
    public struct Remote: Equatable, Sendable {
        public var name: String
        public var url: String
        public var endpoint: String?
        public var region: String?
        public init(name: String, url: String, endpoint: String? = nil, region: String? = nil) {
            self.name = name
            self.url = url
            self.endpoint = endpoint
            self.region = region
        }
    }

    public init(version: Int = ProjectFile.currentVersion, remotes: [Remote] = [], defaultRemote: String? = nil) {
        self.version = version
        self.remotes = remotes
        self.defaultRemote = defaultRemote
    }

    /// The remote named `name`, or the default one when `name` is nil.
    public func remote(_ name: String?) -> Remote? {
        guard let n = name ?? defaultRemote else { return nil }
        return remotes.first { $0.name == n }
    }

    /// A remote name: letters, digits, `-`, `_`, `.`; starting with a letter or digit.
    public static func validRemoteName(_ n: String) -> Bool {
        guard let f = n.unicodeScalars.first, n.count <= 64, CharacterSet.alphanumerics.contains(f), f.isASCII else { return false }
        return n.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    /// The file's text with the `remotes` and `default_remote` sections replaced by `self`'s
    /// (written at the end, in a fixed form); every other line, comments included, is kept.
    public func rewritingRemotes(of text: String) -> String {
        var kept: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let topLevel = !(line.first.map { $0 == " " || $0 == "\t" || $0 == "#" } ?? true)
            if topLevel { skipping = line.hasPrefix("remotes:") || line.hasPrefix("default_remote:") }
            if !skipping { kept.append(line) }
        }
        while let last = kept.last, last.trimmingCharacters(in: .whitespaces).isEmpty { kept.removeLast() }
        var out = kept.joined(separator: "\n") + "\n"
        if !remotes.isEmpty {
            out += "remotes:\n"
            for r in remotes {
                var fields = ["url: \(Self.quoted(r.url))"]
                if let e = r.endpoint { fields.append("endpoint: \(Self.quoted(e))") }
                if let g = r.region { fields.append("region: \(Self.quoted(g))") }
                out += "  \(r.name): {\(fields.joined(separator: ", "))}\n"
            }
        }
        if let d = defaultRemote { out += "default_remote: \(d)\n" }
        return out
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\x%02X", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

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

    /// The file read without a YAML parser, or nil if it is not of the usual shape: ASCII, lines
    /// split by `\n` only, each blank, a comment (spaces, then `#`), or exactly once `loom: N`
    /// (N a version this build reads, no leading zero; then spaces and an optional ` # comment`).
    /// A byte loop: through the generic `split`, `drop` and `starts(with:)` it cost 0.04 ms of
    /// first-use type lookups in every command.
    static func quick(_ bytes: [UInt8]) -> ProjectFile? {
        let key: [UInt8] = [0x6C, 0x6F, 0x6F, 0x6D, 0x3A, 0x20]   // "loom: "
        var version: Int?
        var i = 0
        let n = bytes.count
        while i <= n {
            var end = i
            while end < n && bytes[end] != 0x0A {
                if bytes[end] >= 0x80 || bytes[end] == 0x0D { return nil }
                end += 1
            }
            defer { i = end + 1 }
            var k = i
            while k < end && bytes[k] == 0x20 { k += 1 }
            if k == end || bytes[k] == 0x23 { continue }   // blank, or a comment
            guard version == nil, end - i >= key.count else { return nil }
            for (o, b) in key.enumerated() where bytes[i + o] != b { return nil }
            k = i + key.count
            while k < end && bytes[k] == 0x20 { k += 1 }
            let digitsStart = k
            var value = 0
            while k < end && bytes[k] >= 0x30 && bytes[k] <= 0x39 {
                value = value * 10 + Int(bytes[k] - 0x30)
                k += 1
                if k - digitsStart > 9 { return nil }
            }
            guard k > digitsStart, bytes[digitsStart] != 0x30 else { return nil }
            let spacesStart = k
            while k < end && bytes[k] == 0x20 { k += 1 }
            guard k == end || (k > spacesStart && bytes[k] == 0x23) else { return nil }
            guard value <= currentVersion else { return nil }   // the full parser says why not
            version = value
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
        var file = ProjectFile()
        var defaultAt: SourceLocation?
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
            case "remotes":
                guard case .mapping(let m) = v else {
                    problems.append(Diagnostic(.error, "'remotes' must be a mapping from names to {url: ..., endpoint: ..., region: ...}", at: at(v)))
                    continue
                }
                for (nk, nv) in m {
                    guard case .scalar(let name) = nk, validRemoteName(name.string) else {
                        problems.append(Diagnostic(.error, "a remote's name must be letters, digits, '-', '_' or '.'", at: at(nk)))
                        continue
                    }
                    guard case .mapping(let fields) = nv else {
                        problems.append(Diagnostic(.error, "remote '\(name.string)' must be a mapping with 'url' (and optionally 'endpoint', 'region')", at: at(nv)))
                        continue
                    }
                    var r = Remote(name: name.string, url: "")
                    for (fk, fv) in fields {
                        guard case .scalar(let f) = fk else { problems.append(Diagnostic(.error, "expected a key here", at: at(fk))); continue }
                        guard case .scalar(let value) = fv, !value.string.isEmpty else {
                            problems.append(Diagnostic(.error, "'\(f.string)' of remote '\(name.string)' must be a non-empty string", at: at(fv)))
                            continue
                        }
                        switch f.string {
                        case "url": r.url = value.string
                        case "endpoint": r.endpoint = value.string
                        case "region": r.region = value.string
                        default:
                            problems.append(Diagnostic(.error, "unknown key '\(f.string)' in remote '\(name.string)' (known: \(remoteKeys.joined(separator: ", ")))",
                                                       at: at(fk), notes: Suggestion.notes(for: f.string, in: remoteKeys)))
                        }
                    }
                    if r.url.isEmpty { problems.append(Diagnostic(.error, "remote '\(name.string)' has no 'url' (s3://BUCKET/PREFIX)", at: at(nv))) }
                    if file.remotes.contains(where: { $0.name == r.name }) {
                        problems.append(Diagnostic(.error, "remote '\(r.name)' is named twice", at: at(nk)))
                    }
                    file.remotes.append(r)
                }
            case "default_remote":
                guard case .scalar(let s) = v, !s.string.isEmpty else {
                    problems.append(Diagnostic(.error, "'default_remote' must be the name of a remote", at: at(v)))
                    continue
                }
                file.defaultRemote = s.string
                defaultAt = at(v)
            case "executor":
                guard case .scalar(let e) = v, executors.contains(e.string) else {
                    problems.append(Diagnostic(.error, "'executor' must be one of \(executors.joined(separator: ", "))", at: at(v),
                                               notes: { if case .scalar(let e) = v { return Suggestion.notes(for: e.string, in: executors) }; return [] }()))
                    continue
                }
                file.executor = e.string
            case "slurm":
                guard case .mapping(let m) = v else {
                    problems.append(Diagnostic(.error, "'slurm' must be a mapping with any of \(slurmKeys.joined(separator: ", "))", at: at(v)))
                    continue
                }
                for (fk, fv) in m {
                    guard case .scalar(let f) = fk else { problems.append(Diagnostic(.error, "expected a key here", at: at(fk))); continue }
                    switch f.string {
                    case "partition", "account":
                        guard case .scalar(let n) = fv, SlurmOptions.validName(n.string) else {
                            problems.append(Diagnostic(.error, "slurm '\(f.string)' must be a name (letters, digits, '-', '_', '.')", at: at(fv)))
                            continue
                        }
                        if f.string == "partition" { file.slurm.partition = n.string } else { file.slurm.account = n.string }
                    case "loom":
                        guard case .scalar(let n) = fv, n.string.hasPrefix("/") else {
                            problems.append(Diagnostic(.error, "slurm 'loom' must be the absolute path of the loom binary on the nodes", at: at(fv)))
                            continue
                        }
                        file.slurm.loom = n.string
                    case "node_dir":
                        guard case .scalar(let n) = fv, n.string.hasPrefix("/") else {
                            problems.append(Diagnostic(.error, "slurm 'node_dir' must be an absolute path on the nodes", at: at(fv)))
                            continue
                        }
                        file.slurm.nodeDirectory = n.string
                    case "shared_fs":
                        guard case .scalar(let n) = fv, n.style == .plain, ["true", "false"].contains(n.string) else {
                            problems.append(Diagnostic(.error, "slurm 'shared_fs' must be true or false", at: at(fv)))
                            continue
                        }
                        file.slurm.sharedFS = n.string == "true"
                    case "options":
                        guard case .sequence(let items) = fv else {
                            problems.append(Diagnostic(.error, "slurm 'options' must be a list of sbatch options like [\"--qos=high\"]", at: at(fv)))
                            continue
                        }
                        for item in items {
                            guard case .scalar(let o) = item else { problems.append(Diagnostic(.error, "an sbatch option must be a string", at: at(item))); continue }
                            if let p = SlurmOptions.problem(o.string) { problems.append(Diagnostic(.error, p, at: at(item))) } else { file.slurm.options.append(o.string) }
                        }
                    default:
                        problems.append(Diagnostic(.error, "unknown key '\(f.string)' in 'slurm' (known: \(slurmKeys.joined(separator: ", ")))",
                                                   at: at(fk), notes: Suggestion.notes(for: f.string, in: slurmKeys)))
                    }
                }
            default:
                problems.append(Diagnostic(.error, "unknown key '\(key.string)' in the project file (known: \(keys.joined(separator: ", ")))", at: at(k),
                                           length: key.string.unicodeScalars.count, notes: Suggestion.notes(for: key.string, in: keys)))
            }
        }
        if version == nil && problems.isEmpty {
            problems.append(Diagnostic(.error, "the project file needs 'loom: \(currentVersion)' (its format version)", at: at(root)))
        }
        if let d = file.defaultRemote, let where_ = defaultAt, !file.remotes.contains(where: { $0.name == d }) {
            problems.append(Diagnostic(.error, "default_remote '\(d)' is not one of the remotes", at: where_,
                                       notes: Suggestion.notes(for: d, in: file.remotes.map(\.name))))
        }
        if !problems.isEmpty { throw DiagnosticError(problems) }
        file.version = version ?? currentVersion
        return file
    }
}

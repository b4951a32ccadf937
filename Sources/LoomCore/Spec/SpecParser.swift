import Yams

/// YAML text -> `DAGSpec`, collecting every shape problem (unknown keys with "did you mean",
/// wrong value types, duplicate task names) before failing once.
public struct SpecParser {
    public static let topLevelKeys = ["name", "description", "params", "tasks"]
    public static let taskKeys = ["kind", "needs", "params", "cmd", "files", "env", "outputs", "timeout", "retries", "resources", "description", "matrix"]

    /// Words people write for a task key out of habit (other tools' names), mapped to ours.
    static let taskKeyAliases: [(String, String)] = [
        ("command", "cmd"), ("run", "cmd"), ("shell", "cmd"), ("deps", "needs"), ("depends", "needs"), ("depends_on", "needs"),
        ("dependencies", "needs"), ("after", "needs"), ("inputs", "files"), ("input", "files"), ("deps_files", "files"),
        ("environment", "env"), ("output", "outputs"), ("outs", "outputs"), ("retry", "retries"), ("parameters", "params"),
        ("param", "params"), ("type", "kind"), ("foreach", "matrix"), ("for_each", "matrix"), ("wildcards", "matrix"),
        ("grid", "matrix"), ("parametrize", "matrix"), ("parameterize", "matrix"),
    ]

    static func taskKeyNotes(_ key: String) -> [String] {
        if let direct = Suggestion.closest(to: key, in: taskKeys) { return ["did you mean '\(direct)'?"] }
        if let alias = Suggestion.closest(to: key, in: taskKeyAliases.map(\.0)), let target = taskKeyAliases.first(where: { $0.0 == alias })?.1 {
            return ["did you mean '\(target)'?"]
        }
        return []
    }

    /// The most `retries` a task may have. Backoff doubles up to 30 s, so 100 retries already wait
    /// about 50 minutes; more is a mistake (and `Int.max` overflowed counting the attempts).
    public static let maxRetries = 100

    let path: String
    var diagnostics: [Diagnostic] = []
    /// The document's lines, for the layout of literal blocks.
    var sourceLines: [Substring] = []

    public init(path: String) { self.path = path }

    /// A DAG file's bytes as text, or a located error at the first byte that is not UTF-8 (decoded
    /// as U+FFFD, two commands differing only in such bytes would read the same).
    public static func text(_ bytes: [UInt8], path: String) throws -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var line = 1, column = 1
        var input = bytes.makeIterator()
        var utf8 = UTF8()
        while case .scalarValue(let s) = utf8.decode(&input) {
            if s == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        throw DiagnosticError([Diagnostic(.error, "the file is not valid UTF-8 here", at: SourceLocation(file: path, line: line, column: column))])
    }

    /// Parses a DAG file's text. Throws `DiagnosticError` listing every problem found.
    public static func parse(_ text: String, path: String) throws -> DAGSpec {
        let (spec, problems) = try parsePartially(text, path: path)
        if !problems.isEmpty { throw DiagnosticError(problems) }
        return spec
    }

    /// Parses a DAG file's text as far as its shape allows: the spec without the values that had
    /// problems (their keys in `invalidKeys`), and the problems, so that `GraphBuilder` can report
    /// its own beside them in one round. Throws `DiagnosticError` only when there is no spec to
    /// check further (the text is not YAML, or not a mapping).
    public static func parsePartially(_ text: String, path: String) throws -> (DAGSpec, [Diagnostic]) {
        var p = SpecParser(path: path)
        guard let spec = p.parseDocument(text) else { throw DiagnosticError(p.diagnostics) }
        return (spec, p.diagnostics)
    }

    func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func located<T>(_ value: T, _ node: Node) -> Located<T> {
        var length = 1
        if case .scalar(let s) = node {
            let quoted = s.style == .singleQuoted || s.style == .doubleQuoted
            length = s.string.contains("\n") ? 1 : s.string.unicodeScalars.count + (quoted ? 2 : 0)
        }
        return Located(value, at: location(node.mark), length: length)
    }

    /// Where a string scalar's characters are: one-line scalars from their mark (after the quote),
    /// literal blocks from the line after the `|` at the indentation of their first non-blank line.
    func layout(_ node: Node) -> TextLayout? {
        guard case .scalar(let s) = node, let mark = node.mark else { return nil }
        switch s.style {
        case .plain, .singleQuoted, .doubleQuoted:
            guard !s.string.contains("\n") else { return nil }
            let quoted = s.style != .plain
            return .line(SourceLocation(file: path, line: mark.line, column: mark.column + (quoted ? 1 : 0)))
        case .literal:
            // mark is the `|`; its content starts on the next line.
            let following = sourceLines.dropFirst(mark.line)
            guard let first = following.first(where: { !$0.allSatisfy { $0 == " " } }) else { return nil }
            return .block(file: path, firstLine: mark.line + 1, indent: first.prefix { $0 == " " }.count)
        default: return nil
        }
    }

    mutating func error(_ message: String, _ node: Node, notes: [String] = []) {
        diagnostics.append(.error(message, at: located((), node), notes: notes))
    }

    mutating func parseDocument(_ text: String) -> DAGSpec? {
        sourceLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // Before Yams builds a tree: a few lines of aliases of aliases would expand to billions of nodes.
        if let tooBig = YAMLLimits.check(text, path: path) {
            diagnostics.append(tooBig)
            return nil
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            diagnostics.append(Self.diagnostic(for: e, path: path))
            return nil
        } catch {
            diagnostics.append(Diagnostic(.error, "cannot read YAML: \(error)", at: SourceLocation(file: path, line: 1, column: 1)))
            return nil
        }
        guard let root, case .mapping(let top) = root else {
            diagnostics.append(Diagnostic(.error, "a DAG file must be a mapping with a 'tasks' key", at: location(root?.mark)))
            return nil
        }
        var spec = DAGSpec(path: path)
        var sawTasks = false
        for (k, v) in top {
            guard let key = scalarString(k) else { continue }
            let before = diagnostics.count
            defer { if diagnostics.count > before { spec.invalidKeys.insert(key) } }
            switch key {
            case "name": spec.name = string(v, what: "'name'").map { located($0, v) }
            case "description": spec.description = string(v, what: "'description'")
            case "params": spec.params = entries(v, what: "'params'")
            case "tasks":
                sawTasks = true
                spec.tasks = tasks(v)
            default:
                error("unknown top-level key '\(key)'", k, notes: Suggestion.notes(for: key, in: Self.topLevelKeys))
            }
        }
        if !sawTasks {
            diagnostics.append(Diagnostic(.error, "a DAG file needs a 'tasks' mapping", at: location(root.mark)))
        }
        return spec
    }

    mutating func scalarString(_ node: Node) -> String? {
        guard case .scalar(let s) = node else {
            error("expected a name here, found a \(Self.shape(node))", node)
            return nil
        }
        return s.string
    }

    mutating func string(_ node: Node, what: String) -> String? {
        guard case .scalar(let s) = node else {
            error("\(what) must be a string, found a \(Self.shape(node))", node)
            return nil
        }
        return s.string
    }

    mutating func entries(_ node: Node, what: String) -> [ParamEntry] {
        guard case .mapping(let m) = node else {
            if case .scalar(let s) = node, s.style == .plain, ParamValue.inferred(s.string) == .null { return [] }
            error("\(what) must be a mapping of names to values, found a \(Self.shape(node))", node)
            return []
        }
        var out: [ParamEntry] = []
        for (k, v) in m {
            guard let name = scalarString(k) else { continue }
            out.append(ParamEntry(name: located(name, k), value: located(ParamValue.from(v), v), layout: layout(v)))
        }
        return out
    }

    mutating func stringList(_ node: Node, what: String) -> [Located<String>] {
        switch node {
        case .scalar(let s) where s.style == .plain && ParamValue.inferred(s.string) == .null: return []
        case .scalar(let s): return [located(s.string, node)]
        case .sequence(let seq):
            return seq.compactMap { item in string(item, what: "each entry of \(what)").map { located($0, item) } }
        default:
            error("\(what) must be a list of names, found a \(Self.shape(node))", node)
            return []
        }
    }

    mutating func tasks(_ node: Node) -> [TaskSpec] {
        guard case .mapping(let m) = node else {
            error("'tasks' must be a mapping from task name to task, found a \(Self.shape(node))", node)
            return []
        }
        var out: [TaskSpec] = []
        var seen: [String: SourceLocation] = [:]
        for (k, v) in m {
            guard let name = scalarString(k) else { continue }
            if let first = seen[name] {
                error("duplicate task '\(name)'", k, notes: ["first defined at \(first)"])
                continue
            }
            seen[name] = location(k.mark)
            out.append(task(located(name, k), v))
        }
        return out
    }

    mutating func task(_ name: Located<String>, _ node: Node) -> TaskSpec {
        var t = TaskSpec(name: name)
        guard case .mapping(let m) = node else {
            error("task '\(name.value)' must be a mapping with at least 'kind', found a \(Self.shape(node))", node)
            return t
        }
        for (k, v) in m {
            guard let key = scalarString(k) else { continue }
            t.keyLocations[key] = location(k.mark)
            let before = diagnostics.count
            defer { if diagnostics.count > before { t.invalidKeys.insert(key) } }
            switch key {
            case "kind": t.kind = string(v, what: "'kind'").map { located($0, v) }
            case "needs": t.needs = stringList(v, what: "'needs'")
            case "params": t.params = entries(v, what: "'params'")
            case "cmd": t.cmd = string(v, what: "'cmd'").map { located($0, v) }
            case "files": t.files = stringList(v, what: "'files'")
            case "env": t.env = entries(v, what: "'env'")
            case "outputs": t.outputs = stringList(v, what: "'outputs'")
            case "timeout": t.timeout = duration(v, what: "'timeout'")
            case "resources": t.resources = resources(v)
            case "retries":
                if case .int(let n) = ParamValue.from(v), n >= 0, n <= Self.maxRetries {
                    t.retries = located(n, v)
                } else {
                    error("'retries' must be a whole number from 0 to \(Self.maxRetries)", v)
                }
            case "description": t.description = string(v, what: "'description'")
            case "matrix": t.matrix = matrix(v)
            default:
                let notes = Self.taskKeyNotes(key)
                error("unknown key '\(key)' in task '\(name.value)'", k, notes: notes)
                // `comand:` is the task's cmd misspelled: its absence is not a second problem.
                if let meant = Self.taskKeys.first(where: { notes == ["did you mean '\($0)'?"] }) { t.invalidKeys.insert(meant) }
            }
        }
        return t
    }

    /// `matrix: {model: [logistic, gbdt], seed: [1, 2]}`: names (as DAG param names) to non-empty
    /// lists of distinct scalars.
    mutating func matrix(_ node: Node) -> [MatrixAxis] {
        guard case .mapping(let m) = node, !m.isEmpty else {
            error("'matrix' must be a mapping from names to lists of values, like {model: [logistic, gbdt]}", node)
            return []
        }
        var out: [MatrixAxis] = []
        for (k, v) in m {
            guard let name = scalarString(k) else { continue }
            guard Interpolation.isName(name) else {
                error("matrix name '\(name)' may only use letters, digits, '_' and '-'", k)
                continue
            }
            guard case .sequence(let seq) = v, !seq.isEmpty else {
                error("matrix '\(name)' must be a non-empty list of values, like [a, b]", v)
                continue
            }
            var values: [Located<ParamValue>] = []
            var seen: [String: SourceLocation] = [:]
            for item in seq {
                guard case .scalar = item else {
                    error("each value of matrix '\(name)' must be a single value, found a \(Self.shape(item))", item)
                    continue
                }
                let value = ParamValue.from(item)
                if value == .null { error("matrix '\(name)' has an empty value", item); continue }
                if let first = seen[value.canonical] {
                    error("matrix '\(name)' lists \(value.canonical) twice", item, notes: ["first listed at \(first)"])
                    continue
                }
                seen[value.canonical] = location(item.mark)
                values.append(located(value, item))
            }
            out.append(MatrixAxis(name: located(name, k), values: values))
        }
        return out
    }

    /// `30`, `2.5`, `30s`, `5m`, `1h`: seconds > 0.
    /// `resources: {cpus: 2, memory: 4G, time: 1h}`: what a task asks of the machine (for a
    /// cluster runner); not part of the key.
    mutating func resources(_ node: Node) -> Resources {
        var r = Resources()
        guard case .mapping(let m) = node else {
            error("'resources' must be a mapping like {cpus: 2, memory: 4G, time: 1h}, found a \(Self.shape(node))", node)
            return r
        }
        for (k, v) in m {
            guard let key = scalarString(k) else { continue }
            switch key {
            case "cpus":
                if case .int(let n) = ParamValue.from(v), n >= 1, n <= Self.maxCPUs { r.cpus = n } else {
                    error("'cpus' must be a whole number from 1 to \(Self.maxCPUs)", v)
                }
            case "memory":
                if let b = Self.bytes(ParamValue.from(v)) { r.memoryBytes = b } else {
                    error("'memory' must be a size like 512M or 4G (K, M, G, T: powers of 1024), or a number of bytes", v)
                }
            case "time": r.seconds = duration(v, what: "'time'")?.value
            case "partition", "account":
                guard case .scalar(let s) = v, SlurmOptions.validName(s.string) else {
                    error("'\(key)' must be a Slurm \(key) name (letters, digits, '-', '_', '.')", v)
                    continue
                }
                if key == "partition" { r.partition = s.string } else { r.account = s.string }
            case "sbatch":
                guard case .sequence(let items) = v else {
                    error("'sbatch' must be a list of sbatch options like [\"--qos=high\", \"--gres=gpu:1\"]", v)
                    continue
                }
                for item in items {
                    guard case .scalar(let s) = item else { error("an sbatch option must be a string like \"--qos=high\"", item); continue }
                    if let problem = SlurmOptions.problem(s.string) { error(problem, item) } else { r.sbatch.append(s.string) }
                }
            default: error("unknown key '\(key)' in 'resources'", k, notes: Suggestion.notes(for: key, in: Self.resourceKeys))
            }
        }
        return r
    }

    static let resourceKeys = ["cpus", "memory", "time", "partition", "account", "sbatch"]

    /// More CPUs than any one machine a scheduler hands out has is a typo.
    static let maxCPUs = 4096

    /// A memory size: bytes, or a number with K, M, G or T (powers of 1024, as Slurm reads
    /// them), optionally followed by B or iB; at most 1 PiB.
    static func bytes(_ v: ParamValue) -> Int64? {
        let limit = Double(1 << 50)
        switch v {
        case .int(let n): return n > 0 && Double(n) <= limit ? Int64(n) : nil
        case .string(var s):
            for suffix in ["iB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count { s.removeLast(suffix.count); break }
            let units: [Character: Double] = ["K": Double(1 << 10), "M": Double(1 << 20), "G": Double(1 << 30), "T": Double(1 << 40)]
            guard let u = s.last.map({ Character($0.uppercased()) }), let f = units[u], let n = Double(s.dropLast()),
                  n > 0, n * f <= limit else { return nil }
            return Int64((n * f).rounded())
        default: return nil
        }
    }

    mutating func duration(_ node: Node, what: String) -> Located<Double>? {
        let v = ParamValue.from(node)
        var seconds: Double?
        switch v {
        case .int(let i): seconds = Double(i)
        case .float(let d): seconds = d
        case .string(let s):
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
            if let u = s.last, let f = units[u], let n = Double(s.dropLast()) { seconds = n * f }
        default: break
        }
        guard let s = seconds, s > 0, s.isFinite else {
            error("\(what) must be a positive number of seconds, or a number followed by s, m or h (like 90s, 5m)", node)
            return nil
        }
        return located(s, node)
    }

    static func shape(_ node: Node) -> String {
        switch node {
        case .scalar: return "scalar"
        case .mapping: return "mapping"
        case .sequence: return "list"
        case .alias: return "alias"
        }
    }

    /// A LibYAML error as a diagnostic at the place it names.
    static func diagnostic(for e: YamlError, path: String) -> Diagnostic {
        func at(_ m: Mark) -> SourceLocation { SourceLocation(file: path, line: m.line, column: m.column) }
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let notes = context.map { ["\($0.text) at line \($0.mark.line), column \($0.mark.column)"] } ?? []
            return Diagnostic(.error, "invalid YAML: \(problem)", at: at(mark), notes: notes)
        case let .duplicatedKeysInMapping(duplicates, context):
            return Diagnostic(.error, "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in mapping", at: at(context.mark))
        case let .reader(problem, _, _, _):
            return Diagnostic(.error, "cannot read YAML: \(problem)", at: SourceLocation(file: path, line: 1, column: 1))
        default:
            return Diagnostic(.error, "invalid YAML: \(e)", at: SourceLocation(file: path, line: 1, column: 1))
        }
    }
}

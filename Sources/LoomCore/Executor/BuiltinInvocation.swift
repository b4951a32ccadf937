import Foundation

/// What `loom exec-builtin JOBFILE` runs: one built-in kind with its params, in a child process.
///
/// Job file format, version 1 (JSON): `{"format": "loom-builtin-job 1", "kind", "params",
/// "inputs": [[name, path], ...], "output", "root", "files": [...]}`, and `"cpus"` (the task's
/// `resources: cpus`) when the task asks for a number of cores; a file without it means every core;
/// `"layouts"` when string params have a place in the DAG: `{param: {"file", "line", "column"}}`
/// for a one-line value, `{param: {"file", "first_line", "indent"}}` for a literal block (see
/// `TextLayout`); a file without it gives errors inside params no DAG location.
public struct BuiltinInvocation: Sendable {
    public var kind: String
    public var params: [String: ParamValue]
    public var inputs: [(name: String, path: String)]
    public var output: String
    public var root: String
    public var files: [String]
    public var cpus: Int?
    public var layouts: [String: TextLayout] = [:]

    public var json: JSON {
        var o: [String: JSON] = [
            "format": .string("loom-builtin-job 1"),
            "kind": .string(kind),
            "params": .object(params.mapValues(\.json)),
            "inputs": .array(inputs.map { .array([.string($0.name), .string($0.path)]) }),
            "output": .string(output),
            "root": .string(root),
            "files": .array(files.map { .string($0) }),
        ]
        if let cpus { o["cpus"] = .int(cpus) }
        if !layouts.isEmpty {
            o["layouts"] = .object(layouts.mapValues { layout in
                switch layout {
                case .line(let at): return .object(["file": .string(at.file), "line": .int(at.line), "column": .int(at.column)])
                case .block(let file, let first, let indent): return .object(["file": .string(file), "first_line": .int(first), "indent": .int(indent)])
                }
            })
        }
        return .object(o)
    }

    public init(kind: String, params: [String: ParamValue], inputs: [(name: String, path: String)], output: String, root: String, files: [String],
                cpus: Int? = nil) {
        self.cpus = cpus
        self.kind = kind
        self.params = params
        self.inputs = inputs
        self.output = output
        self.root = root
        self.files = files
    }

    public init(file: String) throws {
        let j = try JSON.parse(FileSystem.readBytes(file))
        guard j["format"]?.string == "loom-builtin-job 1", let kind = j["kind"]?.string, let out = j["output"]?.string,
              let root = j["root"]?.string else { throw InternalError("bad builtin job file \(file)") }
        self.kind = kind
        params = (j["params"]?.object ?? [:]).mapValues(ParamValue.init(json:))
        inputs = (j["inputs"]?.array ?? []).compactMap { pair in
            guard let a = pair.array, a.count == 2, let n = a[0].string, let p = a[1].string else { return nil }
            return (n, p)
        }
        output = out
        self.root = root
        files = (j["files"]?.array ?? []).compactMap(\.string)
        cpus = j["cpus"]?.int
        for (name, l) in j["layouts"]?.object ?? [:] {
            guard let file = l["file"]?.string else { continue }
            if let line = l["line"]?.int, let column = l["column"]?.int {
                layouts[name] = .line(SourceLocation(file: file, line: line, column: column))
            } else if let first = l["first_line"]?.int, let indent = l["indent"]?.int {
                layouts[name] = .block(file: file, firstLine: first, indent: indent)
            }
        }
    }

    /// Runs the kind; errors are the kind's failures (to be printed into the log).
    public func run(registry: KindRegistry) throws {
        guard let d = registry[kind] else { throw KindError("unknown kind '\(kind)'") }
        var context = TaskContext(inputs: inputs, output: output, projectRoot: root, files: files, cpus: cpus) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        context.layouts = layouts
        try d.run(params, context)
    }
}

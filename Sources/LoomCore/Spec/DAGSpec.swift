/// A DAG file as written: every value keeps its file:line:column. Nothing here is validated beyond
/// the shape of the YAML; `GraphBuilder` checks names, kinds, params, files and cycles.
///
/// Schema (documented in the README):
/// ```yaml
/// name: shop                 # optional
/// description: ...           # optional
/// params: {k: 4, seed: 1}    # DAG parameters (defaults), overridable with -P name=value
/// tasks:
///   NAME:
///     kind: shell | <built-in kind>
///     needs: [OTHER, ...]
///     params: {...}          # the kind's parameters; "{{params.k}}" takes a DAG parameter
///     cmd: "..."             # shell only: run by /bin/sh -c in the project root
///     files: [path, ...]     # declared input files/directories, hashed by content
///     env: {NAME: value}     # shell only: extra environment
///     outputs: [path, ...]   # files the task must leave in $LOOM_OUT
///     timeout: 30s           # seconds, or a number with s/m/h
///     retries: 2
///     matrix: {model: [a, b]} # one task per value (grid: per combination), named NAME.a, NAME.b;
///                            # "{{item.model}}" in cmd, params, env, files, outputs and needs
///     description: ...
/// ```
public struct DAGSpec: Sendable {
    public var path: String
    public var name: Located<String>?
    public var description: String?
    public var params: [ParamEntry]
    public var tasks: [TaskSpec]
    /// Top-level keys whose values had problems (already reported by the parser).
    public var invalidKeys: Set<String> = []

    public init(path: String, name: Located<String>? = nil, description: String? = nil, params: [ParamEntry] = [], tasks: [TaskSpec] = []) {
        self.path = path
        self.name = name
        self.description = description
        self.params = params
        self.tasks = tasks
    }
}

/// `name: value` in a `params` mapping.
public struct ParamEntry: Sendable, Equatable {
    public var name: Located<String>
    public var value: Located<ParamValue>
    /// Where a string value's characters stand in the file (nil for other values and layouts).
    public var layout: TextLayout?
    public init(name: Located<String>, value: Located<ParamValue>, layout: TextLayout? = nil) {
        self.name = name
        self.value = value
        self.layout = layout
    }
}

/// Where the characters of a string value stand in its file, so that an error inside the text (a
/// SQL query's syntax error) points at its own line and column.
public enum TextLayout: Sendable, Equatable {
    /// A scalar on one line whose first character is here (in a quoted scalar, an escape shifts
    /// the columns after it).
    case line(SourceLocation)
    /// A literal block (`|`): the text's line k is the file's line `firstLine + k - 1`, its
    /// characters after `indent` columns of indentation.
    case block(file: String, firstLine: Int, indent: Int)

    /// The file location of the text's (1-based) line and column; nil where the layout cannot say.
    public func location(line: Int, column: Int) -> SourceLocation? {
        switch self {
        case .line(let start): return line == 1 ? SourceLocation(file: start.file, line: start.line, column: start.column + column - 1) : nil
        case .block(let file, let first, let indent): return SourceLocation(file: file, line: first + line - 1, column: indent + column)
        }
    }
}

/// One task as written.
public struct TaskSpec: Sendable {
    public var name: Located<String>
    public var kind: Located<String>?
    public var needs: [Located<String>] = []
    public var params: [ParamEntry] = []
    public var cmd: Located<String>?
    public var files: [Located<String>] = []
    public var env: [ParamEntry] = []
    public var outputs: [Located<String>] = []
    public var timeout: Located<Double>?
    public var retries: Located<Int>?
    public var resources = Resources()
    public var description: String?
    /// Where keys of the task's mapping are, for errors about the task as a whole.
    public var keyLocations: [String: SourceLocation] = [:]
    /// `matrix:` as written: the task is a template for one task per combination of values.
    public var matrix: [MatrixAxis] = []
    /// After expansion (`GraphBuilder.expandMatrices`): the template an instance came from, and
    /// its values by axis name.
    public var template: String?
    public var items: [String: ParamValue] = [:]
    /// Keys whose values had problems (already reported by the parser): what follows from their
    /// absence (no kind, a missing param) is not reported again.
    public var invalidKeys: Set<String> = []

    public init(name: Located<String>) { self.name = name }
}

/// One name of a `matrix:` and its values, in the order written.
public struct MatrixAxis: Sendable {
    public var name: Located<String>
    public var values: [Located<ParamValue>]
    public init(name: Located<String>, values: [Located<ParamValue>]) {
        self.name = name
        self.values = values
    }
}

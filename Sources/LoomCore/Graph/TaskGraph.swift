/// A task's name; unique within a DAG.
public struct TaskID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }
    public static func < (a: TaskID, b: TaskID) -> Bool { a.name < b.name }
}

/// A validated task, with everything resolved except the digests of its inputs.
public struct TaskNode: Sendable {
    public var id: TaskID
    /// Position in the graph's topological order.
    public var index: Int
    public var kind: String
    public var kindVersion: Int
    /// Params that enter the key, with DAG params substituted: for a built-in kind every declared
    /// param with its default applied; for a shell task its own params plus every DAG param the
    /// command or env refers to.
    public var params: [String: ParamValue]
    /// Indices of needed tasks, in the order written.
    public var needs: [Int]
    /// Shell only: the command template as written, and as run.
    public var command: String?
    public var renderedCommand: String?
    public var env: [String: String]
    /// Declared input files/directories, relative to the project root, normalised.
    public var files: [String]
    public var outputs: [String]
    public var timeout: Double?
    public var retries: Int
    public var location: SourceLocation
    /// What the task asks of the machine (`resources:`), for the runner; not keyed.
    public var resources = Resources()
    /// Where the text of each string param written without placeholders stands in the DAG, so
    /// that a built-in kind's error inside it (a query's unknown column) names its file:line:col;
    /// not keyed (moving a task in its file changes nothing it computes).
    public var layouts: [String: TextLayout] = [:]
    /// The template (a task with `matrix:`) this task is an instance of.
    public var template: String? = nil
}

/// A validated DAG: tasks in a deterministic topological order (ready tasks taken in file order).
public struct TaskGraph: Sendable {
    public var dagPath: String
    /// A short name for the DAG used in store paths: `dags/shop.yaml` -> `shop`.
    public var dagName: String
    public var dagDigest: Digest
    /// DAG params after `-P` overrides.
    public var params: [String: ParamValue]
    /// The names of DAG params given with `-P`.
    public var overridden: [String]
    public var nodes: [TaskNode]
    public var dependents: [[Int]]
    /// The `GraphCache` key this graph was made from (DAG text, root, overrides, kinds), when it
    /// was loaded from a DAG file: the graph's identity for `NoopMemo`.
    public var cacheKey: Digest? = nil
    /// The DAG file's text (whose digest is `dagDigest`), when loaded from a file; not part of the
    /// graph cache (the loader has the text anyway). Kept for the run record's stored copy.
    public var dagText: String? = nil

    public func index(of name: String) -> Int? { nodes.firstIndex { $0.id.name == name } }

    /// A task's name, or a template's (a task with `matrix:`), as the names of the tasks it
    /// stands for; empty when it is neither.
    public func tasks(named name: String) -> [String] {
        if index(of: name) != nil { return [name] }
        return nodes.filter { $0.template == name }.map(\.id.name)
    }

    /// Names of tasks and templates given on the command line, as task names (templates
    /// expanded to their instances, in graph order; repeats dropped).
    public func expandingTemplates(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.flatMap { tasks(named: $0) }.filter { seen.insert($0).inserted }
    }

    /// The given tasks and everything they need, as a sorted list of indices.
    public func closure(of targets: [Int]) -> [Int] {
        var seen = Set<Int>()
        var stack = targets
        while let i = stack.popLast() {
            if seen.insert(i).inserted { stack.append(contentsOf: nodes[i].needs) }
        }
        return seen.sorted()
    }
}

import Foundation
import Synchronization

/// A problem with a built-in task's params, found before anything runs.
public struct ParamProblem: Error, Sendable, Equatable {
    public var param: String?
    public var message: String
    public var notes: [String]
    /// Where inside the param's text the problem is (a query's syntax error), when it is known.
    public var place: Place?

    /// A 1-based line and column (in characters) of a param's text, and how many columns to underline.
    public struct Place: Sendable, Equatable {
        public var line, column, length: Int
        public init(line: Int, column: Int, length: Int = 1) { self.line = line; self.column = column; self.length = length }
    }

    public init(param: String?, _ message: String, notes: [String] = [], at place: Place? = nil) {
        self.param = param
        self.message = message
        self.notes = notes
        self.place = place
    }
}

/// Several problems with a task's params, as one error.
public struct ParamProblems: Error, Sendable, Equatable {
    public var all: [ParamProblem]
}

/// What a built-in task sees when it runs.
public struct TaskContext: Sendable {
    /// Each needed task's artifact directory, in `needs` order.
    public var inputs: [(name: String, path: String)]
    /// The empty directory the task writes its artifact into.
    public var output: String
    /// The project root (declared files are relative to it).
    public var projectRoot: String
    /// Declared input files, relative to the project root.
    public var files: [String]
    /// Writes a line to the task's log.
    public var log: @Sendable (String) -> Void
    /// The task's `resources: cpus`: how many threads its numeric code may use (nil: every core).
    /// Never part of the key: kinds give the same bytes for any thread count.
    public var cpus: Int?
    /// Where string params' texts stand in the DAG (see `TaskNode.layouts`), for errors inside them.
    public var layouts: [String: TextLayout] = [:]

    public init(inputs: [(name: String, path: String)], output: String, projectRoot: String, files: [String], cpus: Int? = nil,
                log: @escaping @Sendable (String) -> Void) {
        self.inputs = inputs
        self.output = output
        self.projectRoot = projectRoot
        self.files = files
        self.cpus = cpus
        self.log = log
    }

    /// The artifact directory of a needed task, or an error naming the missing need.
    public func input(_ name: String) throws -> String {
        guard let p = inputs.first(where: { $0.name == name })?.path else {
            throw KindError("this task needs '\(name)' (add it to 'needs')")
        }
        return p
    }
}

/// A failure of a built-in kind while running: printed to the task's log, fails the task.
public struct KindError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A built-in kind, declared once: its key (name, version), params (`ParamSpec`: decoding,
/// defaults, checks, documentation) and run.
public protocol TaskKind: Sendable {
    /// Decoded from the resolved params (every declared param present, defaults applied, unset
    /// ones null), so it carries no defaults of its own.
    associatedtype Params: Decodable & Sendable
    /// The name used in DAG files (`kmeans`).
    static var name: String { get }
    /// Bump when the same inputs may give different bytes.
    static var version: Int { get }
    /// One line for `loom kinds` and the README.
    static var summary: String { get }
    static var params: [ParamSpec] { get }
    /// Checks across params beyond each one's declaration (consistency).
    static func validate(_ p: Params) -> [ParamProblem]
    static func run(_ p: Params, context: TaskContext) throws
}

extension TaskKind {
    public static func validate(_ p: Params) -> [ParamProblem] { [] }

    /// The params as written -> every declared param resolved (see `ParamSpec.resolve`).
    public static func resolve(_ values: [String: ParamValue]) -> ParamSpec.Resolved {
        ParamSpec.resolve(values, params, kind: name)
    }

    /// Resolves params (a map of values) and decodes them into `Params`.
    public static func decode(_ values: [String: ParamValue]) -> Result<Params, ParamProblems> {
        switch resolve(values) {
        case .problems(let problems): return .failure(ParamProblems(all: problems))
        case .values(let resolved):
            let data = Data(JSON.object(resolved.mapValues(\.json)).encoded().utf8)
            do {
                return .success(try JSONDecoder().decode(Params.self, from: data))
            } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx), let DecodingError.dataCorrupted(ctx),
                    let DecodingError.keyNotFound(_, ctx) {
                // Only values inside a map reach here (every declared param was type-checked).
                let path = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                return .failure(ParamProblems(all: [ParamProblem(param: ctx.codingPath.first?.stringValue, "param '\(path)' has the wrong type: \(ctx.debugDescription)")]))
            } catch {
                return .failure(ParamProblems(all: [ParamProblem(param: nil, "invalid params: \(error)")]))
            }
        }
    }

    public static var descriptor: KindDescriptor {
        KindDescriptor(
            name: name, version: version, summary: summary, params: params,
            check: { values in
                switch decode(values) {
                case .success(let p): return validate(p)
                case .failure(let problems): return problems.all
                }
            },
            run: { values, context in
                switch decode(values) {
                case .success(let p): try run(p, context: context)
                case .failure(let problems): throw KindError(problems.all.map(\.message).joined(separator: "; "))
                }
            })
    }
}

/// A built-in kind with its Params type erased, as the engine holds it.
public struct KindDescriptor: Sendable {
    public var name: String
    public var version: Int
    public var summary: String
    public var params: [ParamSpec]
    /// Every problem with params as written (or resolved): declarations first, then `validate`.
    public var check: @Sendable ([String: ParamValue]) -> [ParamProblem]
    public var run: @Sendable ([String: ParamValue], TaskContext) throws -> Void

    /// The params as written -> every declared param resolved (see `ParamSpec.resolve`).
    public func resolve(_ values: [String: ParamValue]) -> ParamSpec.Resolved {
        ParamSpec.resolve(values, params, kind: name)
    }

    /// The resolved params the key holds: all but those at their `legacy` value. What it leaves out
    /// is resolved again to the same value when the task runs (a legacy value is the default).
    public func keyed(_ resolved: [String: ParamValue]) -> [String: ParamValue] {
        var out = resolved
        for s in params where out[s.name].map(s.isLeftOutOfKey) == true { out[s.name] = nil }
        return out
    }
}

/// The built-in kinds by name. `shell` is not one of them: the engine runs it itself.
public struct KindRegistry: Sendable {
    public static let shell = "shell"
    /// 2: placeholders are quoted for their context in the command (inside double or single
    /// quotes too), where version 1 single-quoted them everywhere.
    public static let shellVersion = 2
    /// What stands for these kinds in cache keys when the build fixes them (the built-in
    /// registry): caches are read only by the build that wrote them (`CacheFile`), so the build
    /// already says which kinds, versions and params they were made with. Nil: the key lists
    /// every kind's version and params (a registry made by hand, as tests do).
    public let identity: String?
    private let storage: Storage

    /// The kinds, made the first time they are asked for: a run whose graph comes from the graph
    /// cache never needs them (making every kind's descriptor costs about a millisecond).
    private final class Storage: Sendable {
        let make: @Sendable () -> [KindDescriptor]
        let made = Mutex<[String: KindDescriptor]?>(nil)
        init(_ make: @escaping @Sendable () -> [KindDescriptor]) { self.make = make }
        var kinds: [String: KindDescriptor] {
            made.withLock { made in
                if let made { return made }
                var kinds: [String: KindDescriptor] = [:]
                for d in make() { kinds[d.name] = d }
                made = kinds
                return kinds
            }
        }
    }

    public var kinds: [String: KindDescriptor] { storage.kinds }

    public init(_ descriptors: [KindDescriptor] = []) {
        identity = nil
        storage = Storage { descriptors }
    }

    /// A registry fixed by the build, named `identity` in cache keys, its kinds made on first use.
    public init(identity: String, _ descriptors: @escaping @Sendable () -> [KindDescriptor]) {
        self.identity = identity
        storage = Storage(descriptors)
    }

    public subscript(name: String) -> KindDescriptor? { kinds[name] }

    /// Every kind name users can write, sorted, including `shell`.
    public var names: [String] { ([Self.shell] + kinds.keys).sorted() }
}

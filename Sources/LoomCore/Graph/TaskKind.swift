import Foundation

/// A parameter of a built-in kind, as documented in `loom kinds` and the README.
public struct ParamDoc: Sendable, Equatable {
    public var name: String
    public var type: String
    /// The default as text, or nil when the parameter is required.
    public var defaultValue: String?
    public var help: String
    public init(_ name: String, _ type: String, default defaultValue: String? = nil, _ help: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// A problem with a built-in task's params, found before anything runs.
public struct ParamProblem: Error, Sendable, Equatable {
    public var param: String?
    public var message: String
    public var notes: [String]
    public init(param: String?, _ message: String, notes: [String] = []) {
        self.param = param
        self.message = message
        self.notes = notes
    }
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

    public init(inputs: [(name: String, path: String)], output: String, projectRoot: String, files: [String], log: @escaping @Sendable (String) -> Void) {
        self.inputs = inputs
        self.output = output
        self.projectRoot = projectRoot
        self.files = files
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

/// A built-in kind, declared once: its key (name, version), validation and documentation derive
/// from this declaration.
public protocol TaskKind: Sendable {
    associatedtype Params: Codable & Equatable & Sendable
    /// The name used in DAG files (`kmeans`).
    static var name: String { get }
    /// Bump when the same inputs may give different bytes.
    static var version: Int { get }
    /// One line for `loom kinds` and the README.
    static var summary: String { get }
    static var params: [ParamDoc] { get }
    /// Semantic checks beyond decoding (ranges, consistency).
    static func validate(_ p: Params) -> [ParamProblem]
    static func run(_ p: Params, context: TaskContext) throws
}

extension TaskKind {
    public static func validate(_ p: Params) -> [ParamProblem] { [] }

    /// Decodes params (a map of values) into `Params`, naming the offending param on failure.
    public static func decode(_ values: [String: ParamValue]) -> Result<Params, ParamProblem> {
        let known = params.map(\.name)
        for k in values.keys.sorted() where !known.contains(k) {
            return .failure(ParamProblem(param: k, "kind '\(name)' has no param '\(k)' (params: \(known.joined(separator: ", ")))",
                                         notes: Suggestion.notes(for: k, in: known)))
        }
        let data = Data(JSON.object(values.mapValues(\.json)).encoded().utf8)
        do {
            return .success(try JSONDecoder().decode(Params.self, from: data))
        } catch let DecodingError.keyNotFound(key, _) {
            return .failure(ParamProblem(param: nil, "kind '\(name)' needs param '\(key.stringValue)'"))
        } catch let DecodingError.typeMismatch(type, ctx) {
            return .failure(mismatch(type, ctx))
        } catch let DecodingError.valueNotFound(type, ctx) {
            return .failure(mismatch(type, ctx))
        } catch let DecodingError.dataCorrupted(ctx) {
            return .failure(ParamProblem(param: ctx.codingPath.first?.stringValue, ctx.debugDescription))
        } catch {
            return .failure(ParamProblem(param: nil, "invalid params: \(error)"))
        }
    }

    private static func mismatch(_ type: Any.Type, _ ctx: DecodingError.Context) -> ParamProblem {
        let path = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        let expected = params.first { $0.name == ctx.codingPath.first?.stringValue }?.type ?? "\(type)"
        return ParamProblem(param: ctx.codingPath.first?.stringValue, "param '\(path)' must be \(expected)")
    }

    public static var descriptor: KindDescriptor {
        KindDescriptor(
            name: name, version: version, summary: summary, params: params,
            check: { values in
                switch decode(values) {
                case .success(let p): return validate(p)
                case .failure(let problem): return [problem]
                }
            },
            run: { values, context in
                switch decode(values) {
                case .success(let p): try run(p, context: context)
                case .failure(let problem): throw KindError(problem.message)
                }
            })
    }
}

/// A built-in kind with its Params type erased, as the engine holds it.
public struct KindDescriptor: Sendable {
    public var name: String
    public var version: Int
    public var summary: String
    public var params: [ParamDoc]
    public var check: @Sendable ([String: ParamValue]) -> [ParamProblem]
    public var run: @Sendable ([String: ParamValue], TaskContext) throws -> Void
}

/// The built-in kinds by name. `shell` is not one of them: the engine runs it itself.
public struct KindRegistry: Sendable {
    public static let shell = "shell"
    public static let shellVersion = 1
    public private(set) var kinds: [String: KindDescriptor] = [:]

    public init(_ descriptors: [KindDescriptor] = []) {
        for d in descriptors { kinds[d.name] = d }
    }

    public subscript(name: String) -> KindDescriptor? { kinds[name] }

    /// Every kind name users can write, sorted, including `shell`.
    public var names: [String] { ([Self.shell] + kinds.keys).sorted() }
}

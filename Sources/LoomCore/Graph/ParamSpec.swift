/// One param of a built-in kind, declared once: its name, type, default, documentation and
/// checks. Decoding, `loom kinds`, `docs/kinds.md` and the cache key all come from this value:
/// `resolve` turns the params as written into the full map with every default applied, and that
/// map is what a task's key holds, so changing a default changes the key. A param added to a kind
/// later can declare a `legacy` value: while it holds that value (and that value is its default),
/// the key leaves it out, so tasks written before the param existed keep their keys.
public struct ParamSpec: Sendable {
    public enum ValueType: Sendable, Equatable {
        case string, int, float, bool
        /// A string `yyyy-mm-dd`; the kind supplies the calendar check (`check`).
        case date
        case strings, floats
        /// A map whose values the kind's decoder checks.
        case map
        /// A map of names to numbers, kept as floats (`{view: 1}` and `{view: 1.0}` give one key).
        case floatMap

        public var displayName: String {
            switch self {
            case .string: return "string"
            case .int: return "int"
            case .float: return "float"
            case .bool: return "bool"
            case .date: return "date (yyyy-mm-dd)"
            case .strings: return "list of strings"
            case .floats: return "list of floats"
            case .map: return "map"
            case .floatMap: return "map of numbers"
            }
        }
    }

    /// What an omitted param (or one written as `null`) resolves to.
    public enum Default: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
        /// The task must give it.
        case required
        /// This value, written into the key as if the task had given it.
        case value(ParamValue)
        /// No value (`null` in the key); the text says what the kind does then, from things the
        /// key already covers ("the only need").
        case unset(String)
        /// A value computed from the other resolved params; the text documents it.
        case computed(String, @Sendable ([String: ParamValue]) -> ParamValue)

        public init(stringLiteral s: String) { self = .value(.string(s)) }
        public init(integerLiteral i: Int) { self = .value(.int(i)) }
        public init(floatLiteral d: Double) { self = .value(.float(d)) }
        public init(booleanLiteral b: Bool) { self = .value(.bool(b)) }
    }

    /// Numeric bounds, checked on the resolved value.
    public enum Bounds: Sendable, Equatable {
        case atLeast(Double), above(Double), between(Double, Double), strictlyBetween(Double, Double)

        func admits(_ x: Double) -> Bool {
            switch self {
            case .atLeast(let lo): return x >= lo
            case .above(let lo): return x > lo
            case .between(let lo, let hi): return x >= lo && x <= hi
            case .strictlyBetween(let lo, let hi): return x > lo && x < hi
            }
        }

        public var description: String {
            func n(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : JSON.format(x) }
            switch self {
            case .atLeast(let lo): return ">= \(n(lo))"
            case .above(let lo): return "> \(n(lo))"
            case .between(let lo, let hi): return "between \(n(lo)) and \(n(hi))"
            case .strictlyBetween(let lo, let hi): return "strictly between \(n(lo)) and \(n(hi))"
            }
        }
    }

    /// A param that names a file of the project (read by the kind, so hashed into the key like a
    /// `files:` entry and refused when outside the project).
    public enum ProjectFile: Sendable, Equatable {
        /// Always a project path.
        case always
        /// A project path when the named param is unset; otherwise a file of that param's artifact.
        case unlessSet(String)
    }

    public var name: String
    public var type: ValueType
    public var `default`: Default
    public var doc: String
    public var bounds: Bounds?
    /// The allowed values of a string param.
    public var choices: [String]
    public var projectFile: ProjectFile?
    /// A further check of one non-null value (a calendar date); returns what is wrong.
    public var check: (@Sendable (ParamValue) -> String?)?
    /// For a param added to a kind after tasks of it were keyed: the value (`null` for unset) under
    /// which the kind does exactly what it did before the param existed. While the param resolves to
    /// it, and it is also the default, `KindDescriptor.keyed` leaves the param out of the key, so
    /// existing tasks keep their keys and cached artifacts. It is declared apart from the default on
    /// purpose: a later change of the default no longer matches it, and the param enters every key.
    public var legacy: ParamValue?

    public init(_ name: String, _ type: ValueType, _ default: Default = .required, _ doc: String, bounds: Bounds? = nil,
                choices: [String] = [], projectFile: ProjectFile? = nil, legacy: ParamValue? = nil,
                check: (@Sendable (ParamValue) -> String?)? = nil) {
        self.name = name
        self.type = type
        self.default = `default`
        self.doc = doc
        self.bounds = bounds
        self.choices = choices
        self.projectFile = projectFile
        self.check = check
        self.legacy = legacy.map { Self.normalised($0, type) ?? $0 }
        if case .value(let v) = `default` { self.default = .value(Self.normalised(v, type) ?? v) }
    }

    /// Whether the key leaves out this param when it resolves to `value` (see `legacy`).
    public func isLeftOutOfKey(_ value: ParamValue) -> Bool {
        guard let legacy, value == legacy else { return false }
        switch self.default {
        case .value(let d): return d == legacy
        case .unset: return legacy == .null
        case .required, .computed: return false
        }
    }

    public var isRequired: Bool { if case .required = self.default { return true } else { return false } }

    /// The default as documented: the value, what an unset param means, or "required".
    public var defaultText: String {
        switch self.default {
        case .required: return "required"
        case .value(let v): return v.plainText
        case .unset(let text), .computed(let text, _): return text
        }
    }

    /// The type as documented, with its bounds or choices (`int, >= 1`; `one of gbdt, logistic`).
    public var typeText: String {
        if !choices.isEmpty { return "one of " + choices.joined(separator: ", ") }
        return type.displayName + (bounds.map { ", " + $0.description } ?? "")
    }

    /// Everything about the declaration that can change a resolved value, for caches of resolved
    /// graphs (a computed default enters by its text).
    public var signature: String {
        var parts = [name, type.displayName, typeText]
        switch self.default {
        case .required: parts.append("required")
        case .value(let v): parts.append("value " + v.canonical)
        case .unset(let t): parts.append("unset " + t)
        case .computed(let t, _): parts.append("computed " + t)
        }
        switch projectFile {
        case nil: break
        case .always: parts.append("project file")
        case .unlessSet(let p): parts.append("project file unless " + p)
        }
        if let legacy { parts.append("legacy " + legacy.canonical) }
        return parts.joined(separator: "|")
    }

    /// A value of this param's type in canonical form (an int where a float is declared becomes a
    /// float, so `39` and `39.0` give one key); nil when the value has the wrong type.
    static func normalised(_ v: ParamValue, _ type: ValueType) -> ParamValue? {
        switch (type, v) {
        case (.string, .string), (.date, .string), (.int, .int), (.float, .float), (.bool, .bool), (.map, .map): return v
        case (.float, .int(let i)): return .float(Double(i))
        case (.strings, .list(let items)): return items.allSatisfy { if case .string = $0 { return true } else { return false } } ? v : nil
        case (.floats, .list(let items)):
            var out: [ParamValue] = []
            for item in items {
                guard let f = normalised(item, .float) else { return nil }
                out.append(f)
            }
            return .list(out)
        case (.floatMap, .map(let m)):
            var out: [String: ParamValue] = [:]
            for (k, item) in m {
                guard let f = normalised(item, .float) else { return nil }
                out[k] = f
            }
            return .map(out)
        default: return nil
        }
    }

    /// The problem with a non-null written value, or its canonical form.
    func admit(_ v: ParamValue) -> Result<ParamValue, ParamProblem> {
        guard let n = Self.normalised(v, type) else {
            return .failure(ParamProblem(param: name, "param '\(name)' must be \(type.displayName), got \(v.canonical)"))
        }
        if !choices.isEmpty, case .string(let s) = n, !choices.contains(s) {
            let list = choices.count == 2 ? "\(choices[0]) or \(choices[1])" : "one of " + choices.joined(separator: ", ")
            return .failure(ParamProblem(param: name, "param '\(name)' must be \(list), got '\(s)'", notes: Suggestion.notes(for: s, in: choices)))
        }
        if let bounds {
            let x: Double? = { if case .int(let i) = n { return Double(i) }; if case .float(let d) = n { return d }; return nil }()
            if let x, !bounds.admits(x) {
                return .failure(ParamProblem(param: name, "param '\(name)' must be \(bounds.description), got \(n.canonical)"))
            }
        }
        if let check, let message = check(n) { return .failure(ParamProblem(param: name, "param '\(name)' \(message)")) }
        return .success(n)
    }

    /// The params as written -> every declared param with its default applied (unset ones as
    /// `null`), types normalised; or every problem found (unknown names, missing required params,
    /// wrong types, values out of bounds), in declaration order after the unknown names.
    public static func resolve(_ values: [String: ParamValue], _ specs: [ParamSpec], kind: String) -> Resolved {
        var problems: [ParamProblem] = []
        let known = specs.map(\.name)
        // A misspelt required param is reported once, as the unknown name with "did you mean".
        var misspelt = Set<String>()
        for k in values.keys.sorted() where !known.contains(k) {
            problems.append(ParamProblem(param: k, "kind '\(kind)' has no param '\(k)' (params: \(known.joined(separator: ", ")))",
                                         notes: Suggestion.notes(for: k, in: known)))
            if let close = Suggestion.closest(to: k, in: known) { misspelt.insert(close) }
        }
        var out: [String: ParamValue] = [:]
        var computed: [ParamSpec] = []
        for s in specs {
            if let v = values[s.name], v != .null {
                switch s.admit(v) {
                case .success(let n): out[s.name] = n
                case .failure(let p): problems.append(p)
                }
                continue
            }
            switch s.default {
            case .required: if !misspelt.contains(s.name) { problems.append(ParamProblem(param: nil, "kind '\(kind)' needs param '\(s.name)'")) }
            case .value(let v): out[s.name] = v
            case .unset: out[s.name] = .null
            case .computed: computed.append(s)
            }
        }
        guard problems.isEmpty else { return .problems(problems) }
        // Computed defaults see every other param resolved.
        for s in computed {
            let v = s.default.computedValue(out)
            out[s.name] = Self.normalised(v, s.type) ?? v
        }
        return .values(out)
    }

    /// The outcome of `resolve`.
    public enum Resolved: Sendable, Equatable {
        case values([String: ParamValue])
        case problems([ParamProblem])
    }
}

extension ParamSpec.Default {
    func computedValue(_ resolved: [String: ParamValue]) -> ParamValue {
        if case .computed(_, let f) = self { return f(resolved) }
        return .null
    }
}

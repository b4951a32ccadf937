import Yams

/// A typed parameter value as written in a DAG (or on the command line with `-P`).
/// Its `canonical` text is what goes into cache keys and explanations, so `5`, `5.0` and `"5"`
/// are three different values.
public indirect enum ParamValue: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([ParamValue])
    case map([String: ParamValue])

    /// The type's name as users write it in errors: int, float, bool, string, list, map, null.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .list: return "list"
        case .map: return "map"
        }
    }

    /// Canonical text: ints plain, floats in shortest round-trip form with a `.` or exponent,
    /// strings JSON-quoted, lists `[a, b]`, maps `{k: v}` with keys in byte order.
    public var canonical: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return JSON.format(d)
        case .string(let s): return JSON.string(s).encoded()
        case .list(let a): return "[" + a.map(\.canonical).joined(separator: ", ") + "]"
        case .map(let m):
            return "{" + m.keys.sorted(by: JSON.byteOrder).map { "\($0): \(m[$0]!.canonical)" }.joined(separator: ", ") + "}"
        }
    }

    public var description: String { canonical }

    /// The text substituted for `{{params.x}}` inside a larger string: strings unquoted.
    public var plainText: String {
        if case .string(let s) = self { return s }
        return canonical
    }

    /// The value as JSON (floats stay floats; used to decode a kind's `Params`).
    public var json: JSON {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .number(d)
        case .string(let s): return .string(s)
        case .list(let a): return .array(a.map(\.json))
        case .map(let m): return .object(m.mapValues(\.json))
        }
    }

    /// Reads a value back from the JSON written by `json` (an integral number without `.` is an int).
    public init(json: JSON) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .number(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(ParamValue.init(json:)))
        case .object(let o): self = .map(o.mapValues(ParamValue.init(json:)))
        }
    }

    /// Parses command-line text for a parameter whose default has the type of `like`:
    /// ints, floats (an int is accepted), bools (`true`/`false`), strings as written, lists and maps
    /// in YAML flow syntax (`[3, 4]`, `{a: 1}`). Returns nil when the text does not fit the type.
    public static func parse(_ text: String, like: ParamValue) -> ParamValue? {
        switch like {
        case .int: return Int(text).map(ParamValue.int)
        case .float: return Double(text).flatMap { $0.isFinite ? .float($0) : nil }
        case .bool:
            switch text { case "true": return .bool(true); case "false": return .bool(false); default: return nil }
        case .string: return .string(text)
        case .null: return inferred(text)
        case .list, .map:
            // The same bounds as a DAG file's: a -P value of aliases of aliases is as explosive.
            guard YAMLLimits.check(text, path: "-P") == nil, let node = try? Yams.compose(yaml: text) else { return nil }
            let v = from(node)
            return v.typeName == like.typeName ? v : nil
        }
    }

    /// Reads `canonical` text back (it is YAML flow syntax: strings JSON-quoted, `{k: v}` maps).
    public init?(canonical text: String) {
        guard YAMLLimits.check(text, path: "params") == nil, let node = try? Yams.compose(yaml: text) else { return nil }
        self = Self.from(node)
    }

    /// A plain (unquoted) YAML scalar's value: null, bool, int, float, or else a string.
    /// Only YAML 1.2 core-schema spellings count (`yes`/`no` stay strings).
    public static func inferred(_ s: String) -> ParamValue {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int(s) { return .int(i) }
        let looksNumeric = s.unicodeScalars.allSatisfy { "0123456789+-.eE".unicodeScalars.contains($0) }
        if looksNumeric, let d = Double(s), d.isFinite { return .float(d) }
        return .string(s)
    }

    /// The value of a YAML node: plain scalars are inferred, quoted ones are strings.
    public static func from(_ node: Node) -> ParamValue {
        switch node {
        case .scalar(let s): return s.style == .plain ? inferred(s.string) : .string(s.string)
        case .sequence(let seq): return .list(seq.map(from))
        case .mapping(let m):
            var out: [String: ParamValue] = [:]
            for (k, v) in m { out[k.string ?? ""] = from(v) }
            return .map(out)
        case .alias: return .null
        }
    }
}

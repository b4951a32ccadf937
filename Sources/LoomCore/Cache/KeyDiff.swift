/// One field-level difference between the manifest of a task's last build and its manifest now.
public enum KeyDiff: Equatable, Sendable, CustomStringConvertible {
    case kindChanged(old: String, new: String)
    case kindVersionChanged(kind: String, old: Int, new: Int)
    case paramChanged(name: String, old: ParamValue, new: ParamValue)
    case paramAdded(name: String, value: ParamValue)
    case paramRemoved(name: String, old: ParamValue)
    case inputChanged(name: String)
    case inputAdded(name: String)
    case inputRemoved(name: String)
    case fileChanged(path: String)
    case fileAdded(path: String)
    case fileRemoved(path: String)
    case envChanged(name: String)
    case outputsChanged
    case commandChanged(old: String?, new: String?)

    public var description: String {
        switch self {
        case let .kindChanged(o, n): return "kind changed \(o) -> \(n)"
        case let .kindVersionChanged(k, o, n): return "kind \(k) version \(o) -> \(n)"
        case let .paramChanged(name, o, n):
            // A multi-line text (a SQL query) shows its first changed line, not both whole texts.
            if case .string(let a) = o, case .string(let b) = n, a.contains("\n") || b.contains("\n") {
                let la = a.split(separator: "\n", omittingEmptySubsequences: false), lb = b.split(separator: "\n", omittingEmptySubsequences: false)
                if let k = (0..<max(la.count, lb.count)).first(where: { k in (k < la.count ? la[k] : nil) != (k < lb.count ? lb[k] : nil) }) {
                    func line(_ l: [Substring]) -> String { k < l.count ? ParamValue.string(String(l[k])).canonical : "(none)" }
                    return "param '\(name)' changed at line \(k + 1): \(line(la)) -> \(line(lb))"
                }
            }
            return "param '\(name)' changed \(o.canonical) -> \(n.canonical)"
        case let .paramAdded(name, v): return "param '\(name)' added (\(v.canonical))"
        case let .paramRemoved(name, o): return "param '\(name)' removed (was \(o.canonical))"
        case let .inputChanged(name): return "input '\(name)' changed"
        case let .inputAdded(name): return "input '\(name)' added"
        case let .inputRemoved(name): return "input '\(name)' removed"
        case let .fileChanged(p): return "file \(p) changed"
        case let .fileAdded(p): return "file \(p) added"
        case let .fileRemoved(p): return "file \(p) removed"
        case let .envChanged(name): return "env '\(name)' changed"
        case .outputsChanged: return "declared outputs changed"
        case let .commandChanged(o, n): return Self.commandChange(o ?? "", n ?? "")
        }
    }

    /// Commands longer than this are shown around their first difference.
    static let commandWidth = 60

    /// `command changed: 'old' -> 'new'`: a multi-line command by its first changed line, a long
    /// one cut to `commandWidth` characters around its first difference (`loom diff` shows whole
    /// commands as a line diff).
    static func commandChange(_ a: String, _ b: String) -> String {
        func quoted(_ s: Substring) -> String { ParamValue.string(String(s)).canonical }
        var la = a.split(separator: "\n", omittingEmptySubsequences: false), lb = b.split(separator: "\n", omittingEmptySubsequences: false)
        var at = ""
        if la.count > 1 || lb.count > 1, let k = (0..<max(la.count, lb.count)).first(where: { k in (k < la.count ? la[k] : nil) != (k < lb.count ? lb[k] : nil) }) {
            at = " at line \(k + 1)"
            la = [k < la.count ? la[k] : ""]
            lb = [k < lb.count ? lb[k] : ""]
        }
        let x = Array(la[0]), y = Array(lb[0])
        var first = 0
        while first < min(x.count, y.count), x[first] == y[first] { first += 1 }
        func cut(_ c: [Character]) -> Substring {
            guard c.count > commandWidth else { return Substring(String(c)) }
            let start = max(0, min(first - 20, c.count - commandWidth))
            let end = min(c.count, start + commandWidth)
            return Substring((start > 0 ? "..." : "") + String(c[start..<end]) + (end < c.count ? "..." : ""))
        }
        return "command changed\(at): \(quoted(cut(x))) -> \(quoted(cut(y)))"
    }

    /// Every difference from `old` to `new`, in a fixed order (kind, params, inputs, files, env,
    /// outputs, command; names in byte order). Inputs listed in `unknownInputs` are not compared
    /// (their upstream has not been built yet).
    public static func between(_ old: KeyManifest, _ new: KeyManifest, unknownInputs: Set<String> = []) -> [KeyDiff] {
        var out: [KeyDiff] = []
        if old.kind != new.kind {
            out.append(.kindChanged(old: old.kind, new: new.kind))
        } else if old.kindVersion != new.kindVersion {
            out.append(.kindVersionChanged(kind: new.kind, old: old.kindVersion, new: new.kindVersion))
        }
        for name in JSON.sortedByBytes(Array(Set(old.params.keys).union(new.params.keys))) {
            switch (old.params[name], new.params[name]) {
            case let (o?, n?) where o != n: out.append(.paramChanged(name: name, old: o, new: n))
            case let (nil, n?): out.append(.paramAdded(name: name, value: n))
            case let (o?, nil): out.append(.paramRemoved(name: name, old: o))
            default: break
            }
        }
        for name in JSON.sortedByBytes(Array(Set(old.inputs.keys).union(new.inputs.keys).union(unknownInputs))) {
            let isUnknown = unknownInputs.contains(name)
            switch (old.inputs[name], new.inputs[name]) {
            case let (o?, n?) where o != n: out.append(.inputChanged(name: name))
            case (nil, _) where new.inputs[name] != nil || isUnknown: out.append(.inputAdded(name: name))
            case (_?, nil) where !isUnknown: out.append(.inputRemoved(name: name))
            default: break
            }
        }
        for path in JSON.sortedByBytes(Array(Set(old.files.keys).union(new.files.keys))) {
            switch (old.files[path], new.files[path]) {
            case let (o?, n?) where o != n: out.append(.fileChanged(path: path))
            case (nil, _?): out.append(.fileAdded(path: path))
            case (_?, nil): out.append(.fileRemoved(path: path))
            default: break
            }
        }
        for name in JSON.sortedByBytes(Array(Set(old.env.keys).union(new.env.keys))) where old.env[name] != new.env[name] {
            out.append(.envChanged(name: name))
        }
        if old.outputs.sorted() != new.outputs.sorted() { out.append(.outputsChanged) }
        if old.command != new.command { out.append(.commandChanged(old: old.command, new: new.command)) }
        return out
    }
}

/// `{{params.NAME}}` placeholders in commands, env values and param strings, and `{{item.NAME}}`
/// in a task with a `matrix:` (its reference's name is `item.NAME`).
public enum Interpolation {
    public struct Reference: Equatable, Sendable {
        /// The DAG param's name, or `item.NAME` for a matrix value.
        public var name: String
        /// Offset of the `{{` in Unicode scalars (for the error's column).
        public var offset: Int
        /// Length of the whole placeholder.
        public var length: Int

        /// A matrix value's reference (`{{item.NAME}}`), as opposed to a DAG param's.
        public var isItem: Bool { name.hasPrefix(itemPrefix) }
        /// The placeholder as written, without inner spaces.
        public var written: String { isItem ? "{{\(name)}}" : "{{params.\(name)}}" }
    }

    /// The prefix of a matrix value's reference name.
    public static let itemPrefix = "item."

    public enum Piece: Equatable, Sendable { case text(String), reference(Reference) }

    /// Splits text into literal text and references; `{{ params.x }}` may have spaces inside.
    /// A `{{` not followed by `params.NAME}}` or `item.NAME}}` stays literal text.
    public static func pieces(_ s: String) -> [Piece] {
        let u = Array(s.unicodeScalars)
        var out: [Piece] = []
        var text = String.UnicodeScalarView()
        var i = 0
        while i < u.count {
            if i + 1 < u.count, u[i] == "{", u[i + 1] == "{", let close = findClose(u, from: i + 2) {
                let inner = String(String.UnicodeScalarView(u[(i + 2)..<close])).trimmingSpaces
                if inner.hasPrefix("params."), isName(inner.dropFirst(7)) {
                    if !text.isEmpty { out.append(.text(String(text))); text = String.UnicodeScalarView() }
                    out.append(.reference(Reference(name: String(inner.dropFirst(7)), offset: i, length: close + 2 - i)))
                    i = close + 2
                    continue
                }
                if inner.hasPrefix(itemPrefix), isName(inner.dropFirst(itemPrefix.count)) {
                    if !text.isEmpty { out.append(.text(String(text))); text = String.UnicodeScalarView() }
                    out.append(.reference(Reference(name: inner, offset: i, length: close + 2 - i)))
                    i = close + 2
                    continue
                }
            }
            text.append(u[i])
            i += 1
        }
        if !text.isEmpty { out.append(.text(String(text))) }
        return out
    }

    /// Placeholders that look like a misspelled `{{params.NAME}}` (`{{param.n}}`, `{{Params.n}}`,
    /// `{{parms.n}}`: a word within two edits of `params`, a dot, a name), which would otherwise pass
    /// into the command as literal text. Other `{{...}}` (a Go template's `{{.State}}`, `{{ctx.x}}`)
    /// stay literal. `name` is the NAME part. With `items`, also words one edit from `item`
    /// (`{{items.model}}`), whose reference's name is then `item.NAME`.
    public static func lookalikes(_ s: String, items: Bool = false) -> [Reference] {
        let u = Array(s.unicodeScalars)
        var out: [Reference] = []
        var i = 0
        while i + 1 < u.count {
            if u[i] == "{", u[i + 1] == "{", let close = findClose(u, from: i + 2) {
                let inner = String(String.UnicodeScalarView(u[(i + 2)..<close])).trimmingSpaces
                if let dot = inner.firstIndex(of: "."), dot != inner.startIndex {
                    let head = String(inner[..<dot]), tail = inner[inner.index(after: dot)...]
                    let word = head.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) })
                    if head != "params", head != "item", isName(tail), word {
                        if Suggestion.distance(head.lowercased(), "params") <= 2 {
                            out.append(Reference(name: String(tail), offset: i, length: close + 2 - i))
                        } else if items, Suggestion.distance(head.lowercased(), "item") <= 1 {
                            out.append(Reference(name: itemPrefix + tail, offset: i, length: close + 2 - i))
                        }
                    }
                }
                i = close + 2
                continue
            }
            i += 1
        }
        return out
    }

    public static func references(_ s: String) -> [Reference] {
        pieces(s).compactMap { if case .reference(let r) = $0 { return r } else { return nil } }
    }

    /// Substitutes every reference by its value's plain text (env values, built-in params). A shell
    /// command goes through `ShellQuoting.render`, which quotes each value for its place.
    public static func render(_ s: String, lookup: (String) -> ParamValue?) -> String {
        pieces(s).map { piece -> String in
            switch piece {
            case .text(let t): return t
            case .reference(let r): return lookup(r.name)?.plainText ?? ""
            }
        }.joined()
    }

    /// A value as shell words: strings single-quoted when needed, lists as several words.
    public static func shellWords(_ v: ParamValue) -> String {
        if case .list(let items) = v { return items.map(shellWords).joined(separator: " ") }
        return shellQuote(v.plainText)
    }

    public static func shellQuote(_ s: String) -> String {
        let safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-@%"
        if !s.isEmpty, s.unicodeScalars.allSatisfy({ safe.unicodeScalars.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func findClose(_ u: [Unicode.Scalar], from: Int) -> Int? {
        var j = from
        while j + 1 < u.count {
            if u[j] == "}" && u[j + 1] == "}" { return j }
            if u[j] == "{" || u[j] == "\n" { return nil }
            j += 1
        }
        return nil
    }

    static func isName<S: StringProtocol>(_ s: S) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "-" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// `{{params.x}}` in a shell command, written so that `/bin/sh` reads back exactly the value,
/// whatever it is (values come from `-P` too): a scan of the command's POSIX sh quoting finds the
/// context of each placeholder, and the value is quoted for that context or refused.
///
/// | context | written as |
/// |---|---|
/// | bare (also inside `$( )` and `( )`, or joined to other text) | single-quoted when needed; a list as several words, only when it stands alone |
/// | inside `"..."` | with `\`, `$`, `` ` `` and `"` backslash-escaped |
/// | inside `'...'` | with each `'` written `'\''` |
/// | backquotes, `${ }`, `$(( ))`, a comment, a here-document, after `\` or `$` | refused |
public enum ShellQuoting {
    public enum Context: Equatable, Sendable {
        case bare, doubleQuoted, singleQuoted
        case backquoted, parameterExpansion, arithmetic, comment, hereDocument, escaped, afterDollar
        /// Inside or after `$( )` or `( )` holding `case`: a `pattern)` closes no parenthesis, and
        /// this scan does not follow it, so from there on it cannot tell the context.
        case caseInSubshell
    }

    /// A placeholder's context, and whether it is a word of its own (nothing joined before or after).
    public struct Placement: Equatable, Sendable {
        public var reference: Interpolation.Reference
        public var context: Context
        public var standsAlone: Bool
    }

    /// A placeholder whose value cannot be written where it stands.
    public struct Refusal: Error, Equatable, Sendable {
        public var reference: Interpolation.Reference
        public var message: String
        public var notes: [String]
    }

    /// The command with every value written for its context, and the placeholders refused.
    public static func render(_ template: String, lookup: (String) -> ParamValue?) -> (command: String, refused: [Refusal]) {
        let placements = scan(template)
        var refused: [Refusal] = []
        var next = 0
        let out = Interpolation.pieces(template).map { piece -> String in
            switch piece {
            case .text(let t): return t
            case .reference(let r):
                let p = placements[next]
                next += 1
                guard let v = lookup(r.name) else { return "" }
                switch write(v, p) {
                case .success(let text): return text
                case .failure(let refusal): refused.append(refusal); return ""
                }
            }
        }.joined()
        return (out, refused)
    }

    /// `v` written for placement `p`, or why it cannot be.
    static func write(_ v: ParamValue, _ p: Placement) -> Result<String, Refusal> {
        let shown = p.reference.written
        let bare = "write it bare: \(shown) is quoted for you"
        func refuse(_ what: String, _ notes: [String]) -> Result<String, Refusal> {
            .failure(Refusal(reference: p.reference, message: "\(shown) \(what)", notes: notes))
        }
        var isList = false
        if case .list = v { isList = true }
        switch p.context {
        case .bare:
            if isList && !p.standsAlone { return refuse("is a list joined to other text (a list becomes several words)", ["write it as a word of its own"]) }
            return .success(Interpolation.shellWords(v))
        case .doubleQuoted:
            if isList { return refuse("is a list inside double quotes (a list becomes several words)", [bare]) }
            var s = ""
            for c in v.plainText.unicodeScalars {
                if c == "\\" || c == "$" || c == "`" || c == "\"" { s.unicodeScalars.append("\\") }
                s.unicodeScalars.append(c)
            }
            return .success(s)
        case .singleQuoted:
            if isList { return refuse("is a list inside single quotes (a list becomes several words)", [bare]) }
            return .success(v.plainText.replacingOccurrences(of: "'", with: "'\\''"))
        case .backquoted: return refuse("is inside backquotes, where a value cannot be quoted safely", ["use $( ) instead of backquotes, and " + bare])
        case .parameterExpansion: return refuse("is inside ${ }, where a value cannot be quoted safely", [bare])
        case .arithmetic: return refuse("is inside $(( )), where a value would be evaluated", ["pass it through env, or " + bare])
        case .comment: return refuse("is inside a comment (a newline in the value would end it)", ["remove it from the comment"])
        case .hereDocument: return refuse("is inside a here-document, where a value cannot be quoted safely", ["pass it through env, or as an argument: " + bare])
        case .escaped: return refuse("follows a backslash, which would take its quoting apart", ["remove the backslash: " + bare])
        case .afterDollar: return refuse("follows '$', which would take its quoting apart", ["remove the '$': " + bare])
        case .caseInSubshell: return refuse("follows a 'case' inside $( ) or ( ), whose quoting Loom does not follow", ["move the case out of the parentheses, or pass the value through env"])
        }
    }

    // MARK: Scan

    private enum Item: Equatable { case char(Unicode.Scalar), reference(Int) }

    private struct Frame {
        enum Kind { case top, subshell, double, single, backquote, brace, arithmetic, comment }
        var kind: Kind
        var depth = 0
        var sawCase = false
    }

    /// The placement of every reference of `template`, in order.
    public static func scan(_ template: String) -> [Placement] {
        var items: [Item] = []
        var refs: [Interpolation.Reference] = []
        for piece in Interpolation.pieces(template) {
            switch piece {
            case .text(let t): items += t.unicodeScalars.map(Item.char)
            case .reference(let r): items.append(.reference(refs.count)); refs.append(r)
            }
        }
        var scanner = Scanner(items: items)
        scanner.run()
        return refs.indices.map { i in
            Placement(reference: refs[i], context: scanner.contexts[i] ?? .bare, standsAlone: scanner.standsAlone(i))
        }
    }

    private struct Scanner {
        let items: [Item]
        var contexts: [Int: Context] = [:]
        var stack = [Frame(kind: .top)]
        var escaped = false
        var afterDollar = false
        /// Set when a frame that held `case` closed: the scan may have closed it early.
        var lostTrack = false
        var atWordStart = true
        var word = ""
        /// Here-documents whose bodies start at the next newline: (delimiter, strip leading tabs).
        var pending: [(String, Bool)] = []
        var i = 0

        init(items: [Item]) { self.items = items }

        static let separators = Set(" \t\n;&|()<>".unicodeScalars)

        func char(_ j: Int) -> Unicode.Scalar? {
            guard j < items.count, case .char(let c) = items[j] else { return nil }
            return c
        }

        func standsAlone(_ ref: Int) -> Bool {
            guard let at = items.firstIndex(of: .reference(ref)) else { return true }
            let before = at == 0 ? nil : items[at - 1], after = at + 1 < items.count ? items[at + 1] : nil
            func separates(_ item: Item?) -> Bool {
                guard let item else { return true }
                if case .char(let c) = item { return Self.separators.contains(c) }
                return false
            }
            return separates(before) && separates(after)
        }

        mutating func run() {
            while i < items.count {
                switch items[i] {
                case .reference(let r):
                    contexts[r] = context()
                    escaped = false
                    afterDollar = false
                    atWordStart = false
                    i += 1
                case .char(let c):
                    step(c)
                }
            }
        }

        func context() -> Context {
            let kinds = stack.map(\.kind)
            if kinds.contains(.comment) { return .comment }
            if kinds.contains(.backquote) { return .backquoted }
            if kinds.contains(.arithmetic) { return .arithmetic }
            if kinds.contains(.brace) { return .parameterExpansion }
            if lostTrack || stack.contains(where: { $0.sawCase }) { return .caseInSubshell }
            if escaped { return .escaped }
            if afterDollar { return .afterDollar }
            switch stack.last!.kind {
            case .single: return .singleQuoted
            case .double: return .doubleQuoted
            default: return .bare
            }
        }

        mutating func step(_ c: Unicode.Scalar) {
            i += 1
            afterDollar = false
            if escaped {
                escaped = false
                atWordStart = false
                return
            }
            let top = stack.count - 1
            switch stack[top].kind {
            case .single:
                if c == "'" { stack.removeLast() }
            case .comment:
                if c == "\n" { stack.removeLast(); i -= 1; atWordStart = true }
            case .backquote:
                if c == "\\" { escaped = true } else if c == "`" { stack.removeLast() }
            case .arithmetic:
                if c == "(" { stack[top].depth += 1 } else if c == ")" {
                    if stack[top].depth == 0 { stack.removeLast(); if char(i) == ")" { i += 1 } } else { stack[top].depth -= 1 }
                }
            case .double:
                if c == "\\" { escaped = true } else if c == "\"" { stack.removeLast() } else { expansion(c) }
            case .brace:
                if c == "\\" { escaped = true } else if c == "}" { stack.removeLast() } else if c == "'" { stack.append(Frame(kind: .single)) } else if c == "\"" {
                    stack.append(Frame(kind: .double))
                } else { expansion(c) }
            case .top, .subshell:
                code(c, top: top)
            }
        }

        /// `$`-expansions and backquotes, which open in code and inside double quotes alike.
        mutating func expansion(_ c: Unicode.Scalar) {
            if c == "`" {
                stack.append(Frame(kind: .backquote))
            } else if c == "$" {
                if char(i) == "(" && char(i + 1) == "(" { stack.append(Frame(kind: .arithmetic)); i += 2 } else if char(i) == "(" {
                    stack.append(Frame(kind: .subshell)); i += 1; atWordStart = true
                } else if char(i) == "{" { stack.append(Frame(kind: .brace)); i += 1 } else { afterDollar = true }
            }
        }

        mutating func code(_ c: Unicode.Scalar, top: Int) {
            let startsWord = atWordStart
            atWordStart = Self.separators.contains(c)
            if c.properties.isAlphabetic { word.unicodeScalars.append(c) } else {
                if word == "case" && stack[top].kind == .subshell { stack[top].sawCase = true }
                word = ""
            }
            switch c {
            case "\\": escaped = true
            case "'": stack.append(Frame(kind: .single))
            case "\"": stack.append(Frame(kind: .double))
            case "#" where startsWord: stack.append(Frame(kind: .comment))
            case "(": stack.append(Frame(kind: .subshell))
            case ")":
                if stack[top].kind == .subshell {
                    if stack[top].sawCase { lostTrack = true }
                    stack.removeLast()
                }
            case "<" where char(i) == "<" && char(i + 1) != "<": hereDocumentOperator()
            case "\n": hereDocumentBodies()
            default: expansion(c)
            }
        }

        /// After `<<` or `<<-`: the delimiter word (quotes and backslashes removed). A placeholder
        /// in it is refused: the body's end would depend on the value.
        mutating func hereDocumentOperator() {
            i += 1
            let strip = char(i) == "-"
            if strip { i += 1 }
            while char(i) == " " || char(i) == "\t" { i += 1 }
            var delimiter = ""
            while i < items.count {
                if case .reference(let r) = items[i] { contexts[r] = .hereDocument; i += 1; continue }
                guard let c = char(i), !Self.separators.contains(c) else { break }
                if c != "'" && c != "\"" && c != "\\" { delimiter.unicodeScalars.append(c) }
                i += 1
            }
            pending.append((delimiter, strip))
            atWordStart = true
        }

        /// At a newline: the bodies of pending here-documents, line by line up to each delimiter;
        /// every placeholder in them is refused.
        mutating func hereDocumentBodies() {
            for (delimiter, strip) in pending {
                while i < items.count {
                    var line = ""
                    var refsInLine: [Int] = []
                    while i < items.count, items[i] != .char("\n") {
                        switch items[i] {
                        case .char(let c): line.unicodeScalars.append(c)
                        case .reference(let r): refsInLine.append(r); line += "\u{0}"
                        }
                        i += 1
                    }
                    if i < items.count { i += 1 }
                    for r in refsInLine { contexts[r] = .hereDocument }
                    let text = strip ? String(line.drop { $0 == "\t" }) : line
                    if text == delimiter { break }
                }
            }
            pending = []
        }
    }
}

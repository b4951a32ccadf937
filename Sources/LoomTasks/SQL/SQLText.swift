/// The few facts about a query's text that Loom needs beside SQLite's own parser: where its
/// top-level ORDER BY and LIMIT stand (to make the row order total), whether it mentions the
/// clock (`'now'`), and line/column positions of byte offsets (SQLite reports errors as a byte
/// offset). The tokenizer knows SQLite's quoting and comments (https://www.sqlite.org/lang_keywords.html,
/// https://www.sqlite.org/lang_comment.html): '...' strings, "..." `...` [...] names, -- and /* */
/// comments; a keyword counts only outside all of those and outside parentheses (depth 0), so
/// an ORDER BY inside a subquery, a CTE, a window or an aggregate's arguments is not the query's.
struct SQLText {
    enum Kind: Equatable { case word, string, name, symbol }
    struct Token: Equatable {
        var kind: Kind
        /// UTF-8 byte range in the query.
        var start: Int, end: Int
        /// Parentheses open around the token.
        var depth: Int
        /// Upper-cased text of a word; the content of a string.
        var text: String
    }

    let bytes: [UInt8]
    let tokens: [Token]

    init(_ query: String) {
        bytes = Array(query.utf8)
        tokens = Self.tokenize(bytes)
    }

    static func tokenize(_ b: [UInt8]) -> [Token] {
        var out: [Token] = []
        var i = 0, depth = 0
        func isWord(_ c: UInt8) -> Bool { c == 0x5F || c == 0x24 || c >= 0x80 || (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }
        // Each pass reads one token (or skips a space or comment) starting at i.
        while i < b.count {
            let c = b[i], start = i
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C { i += 1; continue }
            if c == 0x2D, i + 1 < b.count, b[i + 1] == 0x2D {                   // -- to the end of the line
                while i < b.count && b[i] != 0x0A { i += 1 }
                continue
            }
            if c == 0x2F, i + 1 < b.count, b[i + 1] == 0x2A {                   // /* to */ (or the end)
                i += 2
                while i < b.count && !(b[i] == 0x2A && i + 1 < b.count && b[i + 1] == 0x2F) { i += 1 }
                i = min(b.count, i + 2)
                continue
            }
            if let close: UInt8 = [0x27: 0x27, 0x22: 0x22, 0x60: 0x60, 0x5B: 0x5D][c] {   // ' " ` [ : a doubled quote stays inside
                i += 1
                while i < b.count {
                    if b[i] == close {
                        if close != 0x5D, i + 1 < b.count, b[i + 1] == close { i += 2; continue }
                        break
                    }
                    i += 1
                }
                let content = String(decoding: b[min(start + 1, b.count)..<min(i, b.count)], as: UTF8.self)
                i = min(b.count, i + 1)
                out.append(Token(kind: c == 0x27 ? .string : .name, start: start, end: i, depth: depth, text: content))
                continue
            }
            if isWord(c) {
                while i < b.count && isWord(b[i]) { i += 1 }
                out.append(Token(kind: .word, start: start, end: i, depth: depth, text: String(decoding: b[start..<i], as: UTF8.self).uppercased()))
                continue
            }
            if c == 0x29 { depth = max(0, depth - 1) }
            out.append(Token(kind: .symbol, start: start, end: i + 1, depth: depth, text: String(UnicodeScalar(c))))
            if c == 0x28 { depth += 1 }
            i += 1
        }
        return out
    }

    /// The index of the first token of a top-level `A B` keyword pair (ORDER BY), or nil.
    func topLevel(_ a: String, _ b: String? = nil) -> Int? {
        tokens.indices.first { k in
            let t = tokens[k]
            guard t.kind == .word, t.depth == 0, t.text == a else { return false }
            guard let b else { return true }
            return k + 1 < tokens.count && tokens[k + 1].kind == .word && tokens[k + 1].text == b
        }
    }

    /// The end of the statement: after its last token that is not a `;`.
    var statementEnd: Int {
        tokens.last { !($0.kind == .symbol && $0.text == ";") }?.end ?? 0
    }

    /// The query with every result column appended to its ordering, so that the row order is total
    /// whatever SQLite's version and plan: `ORDER BY x` becomes `ORDER BY x, 1, 2, ..., n`, and a
    /// query without a top-level ORDER BY gets `ORDER BY 1, ..., n`, placed before a top-level
    /// LIMIT (which then picks the same rows every time). Ordinals refer to the result columns in
    /// simple and compound selects alike; a bare VALUES is wrapped in a SELECT to be ordered.
    func totallyOrdered(columns n: Int) -> String {
        guard n > 0 else { return String(decoding: bytes, as: UTF8.self) }
        let ordinals = (1...n).map(String.init).joined(separator: ", ")
        // A bare VALUES takes no ORDER BY: it is ordered as a subquery (its columns keep their names).
        if tokens.first?.kind == .word, tokens.first?.text == "VALUES" {
            let end = statementEnd
            return "SELECT * FROM (" + String(decoding: bytes[..<end], as: UTF8.self) + ") ORDER BY \(ordinals) " + String(decoding: bytes[end...], as: UTF8.self)
        }
        let orderBy = topLevel("ORDER", "BY")
        // The LIMIT that ends the statement (a LIMIT before ORDER BY would be a syntax error).
        let limit = tokens.indices.first { k in tokens[k].kind == .word && tokens[k].depth == 0 && tokens[k].text == "LIMIT" && k > (orderBy ?? -1) }
        let at = limit.map { tokens[$0].start } ?? statementEnd
        let insert = orderBy == nil ? " ORDER BY \(ordinals) " : ", \(ordinals) "
        return String(decoding: bytes[..<at], as: UTF8.self) + insert + String(decoding: bytes[at...], as: UTF8.self)
    }

    /// Whether any statement follows the first one (anything but `;` after a top-level `;`).
    var hasSecondStatement: Bool {
        guard let semi = tokens.firstIndex(where: { $0.kind == .symbol && $0.text == ";" }) else { return false }
        return tokens[semi...].contains { !($0.kind == .symbol && $0.text == ";") }
    }

    /// The first string literal 'now' (SQLite's date functions read the clock with it).
    var clockReading: Token? { tokens.first { $0.kind == .string && $0.text.lowercased() == "now" } }

    /// The 1-based line and column (in characters) of a byte offset.
    func position(ofByte offset: Int) -> (line: Int, column: Int) {
        let o = max(0, min(offset, bytes.count))
        let lineStart = bytes[..<o].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let line = 1 + bytes[..<o].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        return (line, 1 + String(decoding: bytes[lineStart..<o], as: UTF8.self).unicodeScalars.count)
    }

    /// The line of the query holding a byte offset, and a caret under the offset's column.
    func excerpt(atByte offset: Int) -> String {
        let o = max(0, min(offset, bytes.count))
        let lineStart = bytes[..<o].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let lineEnd = bytes[o...].firstIndex(of: 0x0A) ?? bytes.count
        let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
        return "    " + line + "\n    " + String(repeating: " ", count: position(ofByte: o).column - 1) + "^"
    }
}

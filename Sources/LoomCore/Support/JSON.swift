import Foundation

/// A JSON value with a stable encoding: object keys sorted by their UTF-8 bytes, numbers in
/// Swift's shortest round-trip form (integers without a decimal point), no locale, `\n` line ends.
/// Every file Loom writes as JSON goes through here, so equal values give equal bytes.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [String: JSON]? { if case .object(let o) = self { return o } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .number(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// Compact (one line) or pretty (two-space indent) stable encoding.
    public func encoded(pretty: Bool = false) -> String {
        String(decoding: encodedBytes(pretty: pretty), as: UTF8.self)
    }

    /// The same encoding as UTF-8 bytes.
    public func encodedBytes(pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, pretty: pretty, indent: 0)
        return out
    }

    func write(into out: inout [UInt8], pretty: Bool, indent: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .number(let d): out.append(contentsOf: JSON.format(d).utf8)
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let a):
            if a.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSON.newline(&out, indent + 1) }
                v.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSON.newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in JSON.sortedByBytes(o).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSON.newline(&out, indent + 1) }
                JSON.quote(k, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                v.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSON.newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: 2 * indent))
    }

    /// The order `sorted(by: byteOrder)` puts `keys` in, as indices into `keys`, found without
    /// calling `byteOrder` for most pairs: the bytes all keys share at the start are skipped and
    /// the next eight of each key, read once into an integer (big-endian, zero-padded), decide
    /// every pair they tell apart (zero padding sorts a proper prefix first, as `byteOrder` does);
    /// only pairs with the same eight bytes there are compared in full. Sorting the 1,000 names of
    /// a join's inputs by `byteOrder` took 0.6-1.0 ms (each call copies both Strings and runs two
    /// closures), in the key, the key entry's JSON and the run's explanation; this takes 0.08 ms.
    /// `JSONTests` holds it to `byteOrder` over random keys.
    public static func byteOrderPermutation(_ keys: [String]) -> [Int] {
        if keys.count < 16 { return keys.indices.sorted { byteOrder(keys[$0], keys[$1]) } }
        let first = Array(keys[0].utf8)
        var shared = first.count
        for k in keys.dropFirst() where shared > 0 {
            var n = 0
            for b in k.utf8 { if n == shared || b != first[n] { break }; n += 1 }
            shared = n
        }
        var ranked: [(prefix: UInt64, index: Int)] = []
        ranked.reserveCapacity(keys.count)
        for (i, k) in keys.enumerated() {
            var v: UInt64 = 0, at = 0
            for b in k.utf8.dropFirst(shared) {
                if at == 8 { break }
                v |= UInt64(b) << (56 - 8 * UInt64(at))
                at += 1
            }
            ranked.append((v, i))
        }
        ranked.sort { a, b in a.prefix != b.prefix ? a.prefix < b.prefix : byteOrder(keys[a.index], keys[b.index]) }
        return ranked.map(\.index)
    }

    /// `strings` in `byteOrder` (see `byteOrderPermutation`).
    public static func sortedByBytes(_ strings: [String]) -> [String] {
        byteOrderPermutation(strings).map { strings[$0] }
    }

    /// A dictionary's pairs with their keys in `byteOrder` (see `byteOrderPermutation`).
    public static func sortedByBytes<V>(_ d: [String: V]) -> [(key: String, value: V)] {
        let pairs = Array(d)
        return byteOrderPermutation(pairs.map(\.key)).map { pairs[$0] }
    }

    /// Orders strings by their UTF-8 bytes (Swift's `<` on String compares by Unicode canonical
    /// ordering, which is also deterministic, but bytes are what other tools see).
    public static func byteOrder(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let n = min(x.count, y.count)
                let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                return c != 0 ? c < 0 : x.count < y.count
            }
        }
    }

    /// The canonical text of a double: integral values below 2^53 print as integers with `.0`,
    /// others in the shortest form that round-trips; non-finite values print as `null`.
    public static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        return d.description
    }

    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: nothing to escape (the common case), copy the whole string at once.
        var s = s
        let plain = s.withUTF8 { u in
            guard !u.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: u)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 0xF))
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }
}

/// Writes the bytes `JSON.encodedBytes` would write for the same value, without building the
/// tree (no dictionaries, no sorting): for large records written on every run. Callers give each
/// object's keys in `JSON.byteOrder`; debug builds check it.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var pretty: Bool
    /// For each open container: members written so far.
    private var open: [Int] = []
    #if DEBUG
    /// For each open container: the last key written (to check their order).
    private var lastKeys: [String?] = []
    #endif

    public init(pretty: Bool, capacity: Int = 256) {
        self.pretty = pretty
        bytes.reserveCapacity(capacity)
    }

    public mutating func openObject() { bytes.append(UInt8(ascii: "{")); push() }
    public mutating func closeObject() { close(UInt8(ascii: "}")) }
    public mutating func openArray() { bytes.append(UInt8(ascii: "[")); push() }
    public mutating func closeArray() { close(UInt8(ascii: "]")) }

    private mutating func push() {
        open.append(0)
        #if DEBUG
        lastKeys.append(nil)
        #endif
    }

    /// An object member's key (a literal: written as it is, no escaping); its value follows.
    public mutating func key(_ k: StaticString) {
        checkOrder(k.description)
        member()
        bytes.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        if pretty { bytes.append(0x20) }
    }

    /// An object member's key from data (escaped as needed); its value follows.
    public mutating func key(string k: String) {
        checkOrder(k)
        member()
        JSON.quote(k, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        if pretty { bytes.append(0x20) }
    }

    @inline(__always) private mutating func checkOrder(_ k: @autoclosure () -> String) {
        #if DEBUG
        let k = k()
        precondition(lastKeys.last!.map { JSON.byteOrder($0, k) } ?? true, "JSONWriter: key '\(k)' out of order")
        lastKeys[lastKeys.count - 1] = k
        #endif
    }

    /// The next array element's position (before writing the element).
    public mutating func element() { member() }

    /// Writes what `body` writes without line breaks (one line in a pretty document).
    public mutating func compact(_ body: (inout JSONWriter) -> Void) {
        let was = pretty
        pretty = false
        body(&self)
        pretty = was
    }

    public mutating func string(_ s: String) { JSON.quote(s, into: &bytes) }
    public mutating func int(_ i: Int) { bytes.append(contentsOf: String(i).utf8) }
    public mutating func number(_ d: Double) { bytes.append(contentsOf: JSON.format(d).utf8) }
    public mutating func value(_ v: JSON) { v.write(into: &bytes, pretty: pretty, indent: open.count) }

    public mutating func field(_ k: StaticString, _ s: String) { key(k); string(s) }
    /// A digest as its 64 hex digits (a JSON string).
    public mutating func field(_ k: StaticString, digest d: Digest) {
        key(k)
        digest(d)
    }
    /// A digest as a JSON string value (an object's member or an array's element).
    public mutating func digest(_ d: Digest) {
        bytes.append(UInt8(ascii: "\""))
        d.appendHex(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }
    /// A byte outside the JSON value (a final newline).
    public mutating func raw(_ b: UInt8) { bytes.append(b) }
    public mutating func field(_ k: StaticString, _ i: Int) { key(k); int(i) }
    public mutating func field(_ k: StaticString, number d: Double) { key(k); number(d) }
    public mutating func field(_ k: StaticString, strings: [String]) {
        key(k)
        openArray()
        for s in strings { element(); string(s) }
        closeArray()
    }
    /// An object of numbers, keys sorted.
    public mutating func field(_ k: StaticString, numbers: [String: Double]) {
        key(k)
        openObject()
        if !numbers.isEmpty {
            for (name, value) in JSON.sortedByBytes(numbers) { key(string: name); number(value) }
        }
        closeObject()
    }

    private mutating func member() {
        if open[open.count - 1] > 0 { bytes.append(UInt8(ascii: ",")) }
        open[open.count - 1] += 1
        if pretty { JSON.newline(&bytes, open.count) }
    }

    private mutating func close(_ c: UInt8) {
        let members = open.removeLast()
        #if DEBUG
        lastKeys.removeLast()
        #endif
        if pretty && members > 0 { JSON.newline(&bytes, open.count) }
        bytes.append(c)
    }
}

// MARK: - Parsing

extension JSON {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var offset: Int
        public var message: String
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    /// The deepest nesting of arrays and objects `parse` accepts. JSON that Loom writes nests at most
    /// 5 deep (run records, key manifests) and a task's `metrics.json` rarely past 3, so 64 refuses no
    /// real file. The parser itself keeps its containers on the heap, but a parsed value is released,
    /// compared and walked (`Engine.readMetrics`) by recursion, on threads with stacks as small as
    /// 64 KiB (a task's waiter): a bound keeps that recursion short whatever a task writes
    /// (`JSONTests` walks and drops a value this deep on a 64 KiB thread).
    public static let maxDepth = 64

    /// Parses a complete JSON text (RFC 8259). Numbers without `.`/`e` that fit an Int parse as `.int`;
    /// numbers that do not fit a Double (`1e400`) and nesting past `maxDepth` are errors; a `\u`
    /// escape of a lone UTF-16 surrogate becomes U+FFFD, as invalid UTF-8 bytes do.
    public static func parse(_ text: String) throws -> JSON {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws -> JSON {
        var p = JSONParser(bytes: bytes)
        let v = try p.document()
        p.skipSpace()
        guard p.i == bytes.count else { throw ParseError(offset: p.i, message: "trailing characters") }
        return v
    }
}

/// A parser without recursion: the open arrays and objects are kept on explicit stacks (a value
/// nested `JSON.maxDepth` deep must not need a deep native stack to parse).
private struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    /// The open containers, innermost last: `true` for an object, `false` for an array.
    private var isObject: [Bool] = []
    private var arrays: [[JSON]] = []
    private var objects: [[String: JSON]] = []
    /// For each open object, the key whose value is being parsed.
    private var keys: [String] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    func fail(_ m: String) -> JSON.ParseError { JSON.ParseError(offset: i, message: m) }

    /// One value, with everything nested in it. The loop alternates between reading a value (opening
    /// containers as it meets them) and handing the finished value to the innermost open container
    /// (closing every container that ends right after it).
    mutating func document() throws -> JSON {
        while true {
            guard var finished = try valueOrOpen() else { continue }
            // Hand `finished` to the open containers, closing those that end here.
            while true {
                guard let object = isObject.last else { return finished }
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end") }
                let b = bytes[i]
                if object {
                    objects[objects.count - 1][keys.removeLast()] = finished
                    if b == UInt8(ascii: ",") { i += 1; try openKey(); break }
                    guard b == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                    i += 1
                    isObject.removeLast()
                    finished = .object(objects.removeLast())
                } else {
                    arrays[arrays.count - 1].append(finished)
                    if b == UInt8(ascii: ",") { i += 1; break }
                    guard b == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                    i += 1
                    isObject.removeLast()
                    finished = .array(arrays.removeLast())
                }
            }
        }
    }

    /// A complete value (a scalar or an empty container), or nil after opening a container whose
    /// first member comes next.
    mutating func valueOrOpen() throws -> JSON? {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            try open()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; isObject.removeLast(); return .object([:]) }
            isObject[isObject.count - 1] = true
            objects.append([:])
            try openKey()
            return nil
        case UInt8(ascii: "["):
            try open()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; isObject.removeLast(); return .array([]) }
            arrays.append([])
            return nil
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    /// Steps over `{` or `[`, refusing to nest past `JSON.maxDepth` (pushes an array marker that
    /// the caller turns into an object when it is one).
    private mutating func open() throws {
        guard isObject.count < JSON.maxDepth else { throw fail("nested deeper than \(JSON.maxDepth) levels") }
        i += 1
        isObject.append(false)
    }

    /// An object member's key and its `:`.
    private mutating func openKey() throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
        keys.append(try string())
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        i += 1
    }

    mutating func literal(_ word: String) throws {
        for b in word.utf8 {
            guard i < bytes.count, bytes[i] == b else { throw fail("expected \(word)") }
            i += 1
        }
    }

    mutating func string() throws -> String {
        i += 1
        // Fast path: no escapes before the closing quote, so the text is a slice of the input.
        var j = i
        while j < bytes.count, bytes[j] != UInt8(ascii: "\""), bytes[j] != UInt8(ascii: "\\") { j += 1 }
        if j < bytes.count, bytes[j] == UInt8(ascii: "\"") {
            defer { i = j + 1 }
            return String(decoding: bytes[i..<j], as: UTF8.self)
        }
        var out = [UInt8](bytes[i..<j])
        i = j
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { break }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"): out.append(contentsOf: String(try unicodeEscape()).utf8)
                default: i -= 1; throw fail("invalid escape '\\\(Unicode.Scalar(e))'")
                }
                continue
            }
            out.append(b)
            i += 1
        }
        throw fail("unterminated string")
    }

    /// The scalar of a `\uXXXX` escape (after its `\u`): a high surrogate followed by a `\u` low
    /// surrogate is one scalar; any other surrogate is U+FFFD, and the escape after an unpaired
    /// high surrogate is read on its own.
    mutating func unicodeEscape() throws -> Unicode.Scalar {
        let code = try hex4()
        if UTF16.isTrailSurrogate(code) { return "\u{FFFD}" }
        guard UTF16.isLeadSurrogate(code) else { return Unicode.Scalar(code) ?? "\u{FFFD}" }
        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { return "\u{FFFD}" }
        let mark = i
        i += 2
        let low = try hex4()
        guard UTF16.isTrailSurrogate(low) else { i = mark; return "\u{FFFD}" }
        // Both are in range here (D800-DBFF, DC00-DFFF), so the arithmetic cannot wrap.
        return Unicode.Scalar(0x10000 + (UInt32(code - 0xD800) << 10) + UInt32(low - 0xDC00)) ?? "\u{FFFD}"
    }

    /// Four hex digits as a UTF-16 code unit.
    mutating func hex4() throws -> UInt16 {
        guard i + 4 <= bytes.count else { throw fail("bad \\u escape") }
        var v: UInt16 = 0
        for b in bytes[i..<(i + 4)] {
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: throw fail("bad \\u escape")
            }
            v = v << 4 | UInt16(d)
        }
        i += 4
        return v
    }

    /// RFC 8259's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. Integers
    /// that fit an Int stay exact; everything else goes through Double's parser (which takes digit
    /// strings of any length and never overflows), and a result that is not finite is an error.
    mutating func number() throws -> JSON {
        let start = i
        func digits() -> Int {
            let from = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            return i - from
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        guard digits() > 0 else { i = start; throw fail("unexpected character") }
        guard bytes[intStart] != 0x30 || i - intStart == 1 else { throw fail("a number may not start with 0") }
        var isInt = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInt = false
            i += 1
            guard digits() > 0 else { throw fail("expected a digit after '.'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInt = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInt, let v = Int(text) { return .int(v) }
        guard let d = Double(text), d.isFinite else { i = start; throw fail("number out of range") }
        return .number(d)
    }
}

import Foundation

/// The records of a piece of an event log without quotes, checked and written in place: what
/// `EventIngest.stream` does to a piece through `CSV.rows` (a String per field of every column)
/// and `CSVRowWriter` (a String per number), without the Strings. At 4 million events the parsed
/// path spent most of its 8.5-13 s on those Strings (`perf`: the parser, generic metadata, UTF-8
/// validation, `appendField`, `Double.description`).
///
/// Read as `PurchaseScan` and `CSVChunkedReader` read such a piece: every LF ends a record, a CR
/// just before it is not data, an empty line is skipped, a field is the bytes between commas.
/// Checked as `EventIngest.Fields.check` checks a row (the same reasons in the same order, times by
/// `TimeFormat.seconds(utf8:)`, prices by `DecimalParser`, else `CSV.number`); written as
/// `CSVRowWriter` writes `stream`'s row (a field is quoted when it starts or ends with a space or
/// holds a CR; event types normalised by `EventIngest.eventType` unless already lower-case).
///
/// Whatever it does not decide the parsed path's way (a record with another number of fields,
/// invalid UTF-8, a bad value when bad rows are errors, a quote anywhere) makes `scanParts` return
/// nil for the whole piece, which the caller then parses: every error, and every malformed record
/// skipped, is still the parsed path's, at the same line and column.
struct EventScan {
    let width: Int
    let fields: EventIngest.Fields
    let extra: [Int]
    let format: TimeFormat
    let skipBadRows: Bool

    /// The reasons `Fields.check` gives, in its order; `Part.skipped` counts them by index.
    static let reasons = ["missing user", "missing session", "bad time", "bad price"]

    /// What one part of a piece gave: its kept rows encoded, and what `stream` sums.
    struct Part {
        var out: [UInt8] = []
        var records = 0, kept = 0
        var skipped = [0, 0, 0, 0]
        /// The first skipped rows' lines, counted from the part's first line (0).
        var skippedLines: [Int] = []
        var newlines = 0
        var types = TypeCounts()
    }

    /// Kept rows per normalised event type, by the type's bytes in order of first appearance.
    struct TypeCounts {
        var names: [[UInt8]] = [], counts: [Int] = []
        /// Index into `names` past the first `linear` (a log with many types).
        var more: [[UInt8]: Int] = [:]
        static let linear = 16

        mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int) {
            for k in 0..<min(names.count, Self.linear) where names[k].count == n {
                if n == 0 || names[k].withUnsafeBufferPointer({ memcmp($0.baseAddress!, p, n) == 0 }) { counts[k] += 1; return }
            }
            add(Array(UnsafeBufferPointer(start: p, count: n)))
        }

        mutating func add(_ name: [UInt8]) {
            if let k = names.prefix(Self.linear).firstIndex(of: name) ?? more[name] { counts[k] += 1; return }
            if names.count >= Self.linear { more[name] = names.count }
            names.append(name)
            counts.append(1)
        }

        /// Adds these counts to `stream`'s, by the types' names.
        func merge(into out: inout [String: Int]) {
            for (k, name) in names.enumerated() { out[String(decoding: name, as: UTF8.self), default: 0] += counts[k] }
        }
    }

    init(width: Int, fields: EventIngest.Fields, format: TimeFormat, skipBadRows: Bool) {
        self.width = width
        self.fields = fields
        extra = fields.extraWritten
        self.format = format
        self.skipBadRows = skipBadRows
    }

    /// `scan` on parts of `bytes[from...]` on all cores (`Parallel`), in part order: part k ends
    /// after the first LF at or past `from + (k + 1) x partBytes` (a size fixed here, never derived
    /// from the thread count), so the parts, and the bytes written, are the same for any number of
    /// threads. Nil when the records hold a quote or any part is not decided here.
    func scanParts(_ bytes: [UInt8], from: Int, partBytes: Int = 1 << 20) -> [Part]? {
        let quoted = bytes.withUnsafeBufferPointer { b in from < b.count && memchr(b.baseAddress! + from, 0x22, b.count - from) != nil }
        guard !quoted else { return nil }
        let ascii = CSVPieces.isASCII(bytes)
        let ends = CSVPieces.partEnds(bytes, from: from, partBytes: partBytes)
        let parts = ends.count
        guard parts > 0 else { return [] }
        let slots = UnsafeMutablePointer<Part?>.allocate(capacity: parts)
        defer { slots.deinitialize(count: parts); slots.deallocate() }
        // Each iteration initialises its own slot only.
        bytes.withUnsafeBufferPointer { b in
            let p = b.baseAddress!   // bytes past `from` exist: there is a part
            Parallel.perform(iterations: parts) { k in
                (slots + k).initialize(to: scan(p, from: k == 0 ? from : ends[k - 1], to: ends[k], ascii: ascii))
            }
        }
        var out: [Part] = []
        for k in 0..<parts {
            guard let part = slots[k] else { return nil }
            out.append(part)
        }
        return out
    }

    /// The records of `p[from..<to]`, which starts a line and ends after an LF or at the piece's end.
    func scan(_ p: UnsafePointer<UInt8>, from: Int, to: Int, ascii: Bool) -> Part? {
        var part = Part()
        part.out.reserveCapacity(to - from + (to - from) / 8)
        let bounds = UnsafeMutablePointer<Int>.allocate(capacity: 2 * width)   // each field's start and end
        defer { bounds.deallocate() }
        var line = from
        // Records: the line's end, its fields into `bounds`, the checks, then the row written.
        while line < to {
            let lf = memchr(p + line, 0x0A, to - line).map { p.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? to
            let end = lf < to && lf > line && p[lf - 1] == 0x0D ? lf - 1 : lf
            let lineIndex = part.newlines
            if lf < to { part.newlines += 1 }
            defer { line = lf + 1 }
            if end == line { continue }
            if !ascii && !Self.isUTF8(p + line, end - line) { return nil }
            guard split(p, line, end, into: bounds) else { return nil }
            let row = Row(p: p, bounds: bounds, cr: memchr(p + line, 0x0D, end - line) != nil)
            part.records += 1
            guard let (time, price) = check(row) else {
                guard skipBadRows, let reason = problem(row) else { return nil }
                part.skipped[reason] += 1
                if part.skippedLines.count < CSV.skippedLinesKept { part.skippedLines.append(lineIndex) }
                continue
            }
            write(row, time: time, price: price, to: &part)
            part.kept += 1
        }
        return part
    }

    /// The fields of one record: `p[bounds[2j] ..< bounds[2j + 1]]` is field j.
    struct Row {
        let p: UnsafePointer<UInt8>
        let bounds: UnsafeMutablePointer<Int>
        /// The record holds a CR (a field with one is quoted).
        let cr: Bool
        func start(_ j: Int) -> Int { bounds[2 * j] }
        func count(_ j: Int) -> Int { bounds[2 * j + 1] - bounds[2 * j] }
        func bytes(_ j: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: p + start(j), count: count(j)) }
    }

    /// Splits `p[line..<end]` at commas; false unless it has `width` fields.
    func split(_ p: UnsafePointer<UInt8>, _ line: Int, _ end: Int, into bounds: UnsafeMutablePointer<Int>) -> Bool {
        var i = line, j = 0
        while true {
            guard j < width else { return false }
            bounds[2 * j] = i
            while i < end && p[i] != 0x2C { i += 1 }
            bounds[2 * j + 1] = i
            j += 1
            if i == end { return j == width }
            i += 1
        }
    }

    /// A price as written, when it already is `CSV.format` of its value: `0`, or up to 15 digits
    /// without a leading zero, optionally with a fraction ending in a non-zero digit, at least
    /// 0.0001. Such a decimal is the only one of at most its digits within half a unit in the last
    /// place of the Double nearest it (15 digits: the gap between such decimals, at least 10^-15 of
    /// the value, exceeds the Double's 2^-53 relative half-unit), so the shortest round-trip digits
    /// are its own, and Swift prints Doubles in [0.0001, 2^53) without an exponent.
    static func isCanonicalNumber(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = u.count
        guard n > 0, n <= 20 else { return false }
        var i = 0
        while i < n && u[i] &- 0x30 < 10 { i += 1 }
        let whole = i
        guard whole > 0, whole == 1 || u[0] != 0x30 else { return false }
        if i == n { return whole <= 15 }
        guard u[i] == 0x2E, u[n - 1] != 0x30, i + 1 < n else { return false }
        i += 1
        let fractionStart = i
        while i < n && u[i] &- 0x30 < 10 { i += 1 }
        guard i == n else { return false }
        if u[0] != 0x30 { return whole + (n - fractionStart) <= 15 }
        var zeros = 0
        while u[fractionStart + zeros] == 0x30 { zeros += 1 }   // the last digit is not a zero
        return zeros <= 3 && n - fractionStart - zeros <= 15
    }

    /// A price's value as `Fields.check` reads it (NaN when empty); nil when it is not a number.
    static func price(_ u: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let p = u.baseAddress, u.count > 0 else { return .nan }
        if let v = DecimalParser.parse(p, 0, u.count) { return v }
        return CSV.number(String(decoding: u, as: UTF8.self))
    }

    /// The time and price of a good row (the price NaN when written as it is or absent), or nil.
    func check(_ row: Row) -> (Double, Double?)? {
        guard row.count(fields.user) > 0, row.count(fields.session) > 0,
              let t = TimeFormat.seconds(utf8: row.bytes(fields.time), format) else { return nil }
        guard let pj = fields.price else { return (t, .nan) }
        let u = row.bytes(pj)
        if Self.isCanonicalNumber(u) { return (t, nil) }
        guard let v = Self.price(u) else { return nil }
        return (t, v)
    }

    /// The first reason `Fields.check` gives for a row `check` rejected.
    func problem(_ row: Row) -> Int? {
        if row.count(fields.user) == 0 { return 0 }
        if row.count(fields.session) == 0 { return 1 }
        if TimeFormat.seconds(utf8: row.bytes(fields.time), format) == nil { return 2 }
        if let pj = fields.price, Self.price(row.bytes(pj)) == nil { return 3 }
        return nil
    }

    /// The row `stream` writes: user, session, event type, time, price, product, category, brand,
    /// extra columns; `price` nil means the price field as written.
    func write(_ row: Row, time: Double, price: Double?, to part: inout Part) {
        func text(_ j: Int?) {
            guard let j else { return }
            let s = row.start(j), n = row.count(j), p = row.p
            let quoted = n > 0 && (p[s] == 0x20 || p[s + n - 1] == 0x20 || (row.cr && memchr(p + s, 0x0D, n) != nil))
            if quoted { part.out.append(0x22) }
            part.out.append(contentsOf: row.bytes(j))
            if quoted { part.out.append(0x22) }
        }
        func number(_ d: Double) {
            if d == d.rounded(), abs(d) < 9_007_199_254_740_992 { CSV.appendInteger(Int64(d), to: &part.out) } else { part.out.append(contentsOf: CSV.format(d).utf8) }
        }
        func comma() { part.out.append(0x2C) }
        text(fields.user); comma(); text(fields.session); comma()
        eventType(row, to: &part); comma()
        number(time); comma()
        if let price { number(price) } else { part.out.append(contentsOf: row.bytes(fields.price!)) }   // nil only with a price column
        comma(); text(fields.product); comma(); text(fields.category); comma(); text(fields.brand)
        for j in extra { comma(); text(j) }
        part.out.append(0x0A)
    }

    /// The event type, normalised (`EventIngest.eventType`), written and counted.
    func eventType(_ row: Row, to part: inout Part) {
        let u = row.bytes(fields.eventType)
        if u.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) }) {
            part.out.append(contentsOf: u)
            part.types.add(row.p + row.start(fields.eventType), u.count)
            return
        }
        let s = EventIngest.eventType(String(decoding: u, as: UTF8.self))
        CSV.appendField(s, to: &part.out)
        part.types.add(Array(s.utf8))
    }

    /// `p[0..<n]` is valid UTF-8 (ASCII checked first: most lines of a log with a few accents are).
    static func isUTF8(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i < n && p[i] < 0x80 { i += 1 }
        return i == n || String(validating: UnsafeBufferPointer(start: p, count: n), as: UTF8.self) != nil
    }
}

import Foundation

/// Tables as CSV: how tables travel between tasks and how users open them.
///
/// Format written (version 1): a header row; fields separated by `,`; lines end with `\n`; a field
/// is quoted (`"`, inner quotes doubled) when it contains `,`, `"`, CR or LF, or starts or ends
/// with a space. Numbers: integral values with magnitude below 2^53 print as integers (`42`,
/// `-3`); other finite values in Swift's shortest round-trip form (`0.1`, `1e-05`, `12345.678`);
/// NaN prints as an empty field; infinities as `inf` / `-inf`. The same table always gives the same bytes.
public enum CSV {
    /// The text of a number as written in tables.
    public static func format(_ d: Double) -> String {
        if d.isNaN { return "" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 9_007_199_254_740_992 { return String(Int64(d)) }
        return d.description
    }

    /// Writes a table as CSV bytes: rows in blocks of `encodeBlockRows` formatted on all cores
    /// (`Parallel`), joined in block order, so the bytes are those of `encodeSerially`, the
    /// reference a differential test holds it to.
    public static func encode(_ t: Table) -> [UInt8] {
        let parts = encodeBlocks(t)
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { out.append(contentsOf: part) }
        return out
    }

    /// The header, then the rows in blocks, in order: `encode` without joining them (the writer
    /// writes them one after another and saves a copy of the whole file).
    static func encodeBlocks(_ t: Table) -> [[UInt8]] {
        let blocks = (t.rowCount + encodeBlockRows - 1) / encodeBlockRows
        guard blocks > 1 else {
            var out = header(t)
            appendRows(t, 0..<t.rowCount, to: &out)
            return [out]
        }
        let parts = UnsafeMutablePointer<[UInt8]>.allocate(capacity: blocks)
        defer { parts.deinitialize(count: blocks); parts.deallocate() }
        // Each iteration initialises its own slot only.
        Parallel.perform(iterations: blocks) { b in
            var part: [UInt8] = []
            appendRows(t, b * encodeBlockRows..<min(t.rowCount, (b + 1) * encodeBlockRows), to: &part)
            (parts + b).initialize(to: part)
        }
        return [header(t)] + Array(UnsafeBufferPointer(start: parts, count: blocks))
    }

    /// Rows per block of `encode` (fixed: the bytes never depend on the thread count).
    static let encodeBlockRows = 16_384

    static func header(_ t: Table) -> [UInt8] {
        var out: [UInt8] = []
        for (i, n) in t.names.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendField(n, to: &out)
        }
        out.append(0x0A)
        return out
    }

    /// Rows `rows` of `t` as CSV lines. Integral numbers (the `format` rule) are written digit by
    /// digit; other numbers through `format`.
    static func appendRows(_ t: Table, _ rows: Range<Int>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + rows.count * t.columnCount * 10)
        for r in rows {
            for (i, c) in t.columns.enumerated() {
                if i > 0 { out.append(0x2C) }
                switch c {
                case .number(let v):
                    let d = v[r]
                    if d == d.rounded(), abs(d) < 9_007_199_254_740_992 { appendInteger(Int64(d), to: &out) } else { out.append(contentsOf: format(d).utf8) }
                case .text(let v): appendField(v[r], to: &out)
                }
            }
            out.append(0x0A)
        }
    }

    /// `String(n).utf8` without the String.
    @inline(__always)
    static func appendInteger(_ n: Int64, to out: inout [UInt8]) {
        if n < 0 { out.append(0x2D) }
        var m = n.magnitude
        guard m >= 10 else { out.append(0x30 + UInt8(m)); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // up to 20 decimal digits, most significant first, ending at byte 24
        var first = 24
        withUnsafeMutableBytes(of: &digits) { buffer in
            while m > 0 { first -= 1; buffer[first] = 0x30 + UInt8(m % 10); m /= 10 }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[first..<24]).assumingMemoryBound(to: UInt8.self))   // one append, not one a digit
        }
    }

    /// The reference writer: one String per number (public for the benchmark).
    public static func encodeSerially(_ t: Table) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(t.rowCount * t.columnCount * 8 + 64)
        for (i, n) in t.names.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendField(n, to: &out)
        }
        out.append(0x0A)
        for r in 0..<t.rowCount {
            for (i, c) in t.columns.enumerated() {
                if i > 0 { out.append(0x2C) }
                switch c {
                case .number(let v): out.append(contentsOf: format(v[r]).utf8)
                case .text(let v): appendField(v[r], to: &out)
                }
            }
            out.append(0x0A)
        }
        return out
    }

    static func appendField(_ s: String, to out: inout [UInt8]) {
        let needsQuotes = s.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D } || s.hasPrefix(" ") || s.hasSuffix(" ")
        guard needsQuotes else { out.append(contentsOf: s.utf8); return }
        out.append(0x22)
        for b in s.utf8 {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }

    public static func write(_ t: Table, to path: String) throws {
        guard let handle = FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil else {
            throw AnalyticsError.invalidInput(what: "cannot write \(path)", expected: "a writable path")
        }
        defer { try? handle.close() }
        do {
            for part in encodeBlocks(t) { try handle.write(contentsOf: part) }
        } catch {
            throw AnalyticsError.invalidInput(what: "cannot write \(path)", expected: "a writable path")
        }
    }

    /// How to type a column when reading.
    public enum ColumnType: Sendable, Equatable { case number, text }

    /// Parsed rows, stored by column: the header, each column's fields in row order, and each
    /// row's 1-based line number. (By column, not by row: a million rows as arrays of fields cost
    /// a heap array each.)
    public struct Rows: Sendable {
        public var file: String
        public var header: [String]
        public var columns: [[String]]
        public var lines: [Int]
        /// Each row's first byte, so that a field's column is found only when a problem is reported.
        var starts: [Int]
        let bytes: [UInt8]
        /// Rows dropped by `Reading.skipBadRows`, counted by reason, and the lines of the first few.
        public var skipped: [String: Int] = [:]
        public var skippedLines: [Int] = []
        /// Records dropped while reading (malformed ones; `count` does not include them).
        public let malformed: Int
        public var count: Int { lines.count }
        public subscript(row: Int, column: Int) -> String { columns[column][row] }

        /// Where field `field` of row `row` starts, as a located error names it.
        public func location(row: Int, field: Int) -> (line: Int, column: Int) {
            CSV.locate(bytes, start: starts[row], line: lines[row], field: field)
        }

        /// The index of a column a reader needs, or a located error at the header listing what it has.
        public func column(_ name: String, param: String) throws -> Int {
            guard let j = header.firstIndex(of: name) else {
                let shown = header.prefix(AnalyticsError.columnsListed).map(CSV.excerpt).joined(separator: ", ")
                let more = header.count > AnalyticsError.columnsListed ? ", and \(header.count - AnalyticsError.columnsListed) more" : ""
                throw AnalyticsError.badData(file: file, line: 1, column: 1, field: nil, expected: "a column \(CSV.quoted(name)) (param '\(param)')",
                                             found: "the columns \(shown)\(more)")
            }
            return j
        }

        /// The located error for a bad value in field `field` of row `row`.
        public func bad(row: Int, field: Int, expected: String, found: String) -> AnalyticsError {
            let at = location(row: row, field: field)
            return .badData(file: file, line: at.line, column: at.column, field: header[field], expected: expected, found: found)
        }

        /// Counts a row with a bad value as skipped (it stays in the columns: the caller leaves it out).
        public mutating func skip(row: Int, reason: String) {
            skipped[reason, default: 0] += 1
            if skippedLines.count < CSV.skippedLinesKept { skippedLines.append(lines[row]) }
        }
    }

    /// How strictly to read.
    public struct Reading: Sendable {
        /// Drop malformed records (wrong number of fields, an unterminated quote, invalid UTF-8 when
        /// `strictUTF8`) and count them in `Rows.skipped`, instead of failing.
        public var skipBadRows = false
        /// Invalid UTF-8 in a field is a bad row. Otherwise it is read as U+FFFD, as the tables Loom
        /// passes between tasks (always valid) can afford; for a user's ids it would merge
        /// different ids into one, so the ingest kinds read strictly.
        public var strictUTF8 = false
        public init(skipBadRows: Bool = false, strictUTF8: Bool = false) {
            self.skipBadRows = skipBadRows
            self.strictUTF8 = strictUTF8
        }
    }

    /// Lines of skipped rows kept to show (the count of each reason is always complete).
    public static let skippedLinesKept = 5

    /// Splits CSV bytes into rows (RFC 4180: quotes, doubled quotes, CRLF or LF, newlines in quotes;
    /// blank lines are skipped). The header's names must be distinct. A row whose field count
    /// differs from the header's, or with a quote that never closes, is an error at its file,
    /// line and column, or is skipped with `reading.skipBadRows`.
    ///
    /// An unterminated quote swallows the rest of the file as one field; when skipping, the row is
    /// its first line and reading resumes on the next one, once (a second unterminated quote after
    /// that ends the file as one more skipped row, so the work stays linear in the file's size).
    public static func rows(_ bytes: [UInt8], file: String, reading: Reading = Reading()) throws -> Rows {
        var header: [String]?
        var columns: [[String]] = []
        var lines: [Int] = [], starts: [Int] = []
        var skipped: [String: Int] = [:], skippedLines: [Int] = []
        var record: [String] = []
        var quoted: [UInt8] = []
        var line = 1, recordLine = 1
        // A UTF-8 byte order mark (spreadsheet exports write one) is not part of the first name.
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        var i = bom, fieldStart = bom, recordStart = bom
        var inQuotes = false, wasQuoted = false
        var badUTF8Field: Int?   // the first field of the record that is not valid UTF-8
        var resumed = false
        let n = bytes.count
        func bad(_ field: Int, expected: String, found: String) -> AnalyticsError {
            let at = locate(bytes, start: recordStart, line: recordLine, field: field)
            return .badData(file: file, line: at.line, column: at.column, field: header.flatMap { field < $0.count ? $0[field] : nil },
                            expected: expected, found: found)
        }
        func endField(_ end: Int) {
            // Unquoted fields are slices of the input; quoted ones were unescaped into `quoted`.
            if reading.strictUTF8 && badUTF8Field == nil {
                let valid = wasQuoted ? String(validating: quoted, as: UTF8.self) != nil
                                      : String(validating: bytes[fieldStart..<end], as: UTF8.self) != nil
                if !valid { badUTF8Field = record.count }
            }
            record.append(wasQuoted ? String(decoding: quoted, as: UTF8.self) : String(decoding: bytes[fieldStart..<end], as: UTF8.self))
            quoted.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func skip(_ reason: String) {
            skipped[reason, default: 0] += 1
            if skippedLines.count < skippedLinesKept { skippedLines.append(recordLine) }
        }
        func endRecord() throws {
            defer { record.removeAll(keepingCapacity: true); badUTF8Field = nil }
            if record.count == 1 && record[0].isEmpty && badUTF8Field == nil { return }
            guard let h = header else {
                if let j = badUTF8Field { throw bad(j, expected: "a column name in UTF-8", found: "invalid UTF-8") }
                var seen: [String: Int] = [:]
                for (j, name) in record.enumerated() {
                    if let first = seen[name] {
                        let at = locate(bytes, start: recordStart, line: recordLine, field: first)
                        throw AnalyticsError.badData(file: file, line: recordLine, column: locate(bytes, start: recordStart, line: recordLine, field: j).column,
                                                     field: nil, expected: "distinct column names",
                                                     found: "\(CSV.quoted(name)) again (first at column \(at.column))")
                    }
                    seen[name] = j
                }
                header = record
                columns = record.map { _ in [] }
                return
            }
            var problem: AnalyticsError?
            if record.count != h.count {
                problem = bad(min(record.count, h.count), expected: "\(h.count) fields", found: "\(record.count)")
                if reading.skipBadRows { skip("wrong number of fields"); return }
            } else if let j = badUTF8Field {
                problem = bad(j, expected: "text in UTF-8", found: "invalid UTF-8")
                if reading.skipBadRows { skip("invalid UTF-8"); return }
            }
            if let problem { throw problem }
            for (j, f) in record.enumerated() { columns[j].append(f) }
            lines.append(recordLine)
            starts.append(recordStart)
        }
        // Records, then (when skipping) a restart after an unterminated quote's first line.
        while true {
            while i < n {
                let b = bytes[i]
                if inQuotes {
                    if b == 0x22 {
                        if i + 1 < n && bytes[i + 1] == 0x22 { quoted.append(0x22); i += 2; continue }
                        inQuotes = false
                    } else {
                        if b == 0x0A { line += 1 }
                        quoted.append(b)
                    }
                    i += 1
                    continue
                }
                switch b {
                case 0x22 where i == fieldStart && !wasQuoted:
                    inQuotes = true
                    wasQuoted = true
                case 0x2C:
                    endField(i)
                    fieldStart = i + 1
                case 0x0D where i + 1 < n && bytes[i + 1] == 0x0A:
                    endField(i)
                    fieldStart = i + 2
                    try endRecord()
                    line += 1
                    recordLine = line
                    recordStart = i + 2
                    i += 2
                    continue
                case 0x0A:
                    endField(i)
                    fieldStart = i + 1
                    try endRecord()
                    line += 1
                    recordLine = line
                    recordStart = i + 1
                default:
                    // After a closing quote only the separator may follow; keep the text as RFC 4180
                    // readers do (appended to the unescaped field).
                    if wasQuoted { quoted.append(b) }
                }
                i += 1
            }
            guard inQuotes else { break }
            guard header != nil, reading.skipBadRows else {
                throw bad(record.count, expected: "a closing quote", found: "the end of the file")
            }
            skip("unterminated quote")
            record.removeAll(keepingCapacity: true)
            quoted.removeAll(keepingCapacity: true)
            inQuotes = false
            wasQuoted = false
            badUTF8Field = nil
            guard !resumed, let newline = bytes[recordStart...].firstIndex(of: 0x0A) else { fieldStart = n; break }
            resumed = true
            line = recordLine + 1
            recordLine = line
            i = newline + 1
            fieldStart = i
            recordStart = i
        }
        if fieldStart < n || !record.isEmpty {
            endField(n)
            try endRecord()
        }
        guard let h = header else { throw AnalyticsError.badData(file: file, line: 1, column: 1, field: nil, expected: "a header row", found: "no rows") }
        return Rows(file: file, header: h, columns: columns, lines: lines, starts: starts, bytes: bytes, skipped: skipped,
                    skippedLines: skippedLines, malformed: skipped.values.reduce(0, +))
    }

    /// The line and column (in characters) where field `field` of the record at `start` begins, or
    /// where the record ends when it has fewer fields. Rescans the record, so it costs nothing
    /// until a problem is reported.
    static func locate(_ bytes: [UInt8], start: Int, line: Int, field: Int) -> (line: Int, column: Int) {
        var i = start, line = line, column = 1, f = 0
        var inQuotes = false, fieldStart = true
        while i < bytes.count, f < field {
            let b = bytes[i]
            if inQuotes {
                if b == 0x22 { if i + 1 < bytes.count, bytes[i + 1] == 0x22 { i += 1; column += 1 } else { inQuotes = false } }
            } else if b == 0x22 && fieldStart {
                inQuotes = true
            } else if b == 0x2C {
                f += 1
                fieldStart = true
                i += 1
                column += 1
                continue
            } else if b == 0x0A || b == 0x0D {
                break
            }
            fieldStart = false
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (line, column)
    }

    /// At most `excerptLength` characters of a value, with its length when cut: errors quote user
    /// data, and a field can be a gigabyte.
    public static func excerpt(_ s: String) -> String {
        guard s.utf8.count > excerptLength else { return s }
        let count = s.count
        guard count > excerptLength else { return s }
        return s.prefix(excerptLength) + "... (\(count) characters)"
    }

    /// A value as an error quotes it: in quotes, cut to `excerptLength` characters.
    public static func quoted(_ s: String) -> String { "'" + excerpt(s) + "'" }

    /// Characters of a bad value quoted in an error: enough to recognise it.
    public static let excerptLength = 40

    /// Reads a CSV file into a table. Columns named in `types` get that type (a value that is not a
    /// number in a number column is an error naming the file, line and column); other columns are
    /// numbers when every non-empty value parses as one, else text. Empty numbers are NaN.
    /// `otherColumns`, when given, is the type of every column not named in `types` (no inference).
    public static func read(_ path: String, types: [String: ColumnType] = [:], otherColumns: ColumnType? = nil) throws -> Table {
        try read(path, wanted: nil, types: types, otherColumns: otherColumns).table
    }

    /// `read` of only the columns named in `wanted`, in the file's order (a name the header lacks is
    /// simply absent: the caller reports it, naming `header`, every column of the file). The other
    /// columns are passed over: none of their values is typed, checked or kept, so a task that needs
    /// a few columns of a wide file holds only those.
    public static func read(_ path: String, columns wanted: Set<String>, types: [String: ColumnType] = [:],
                            otherColumns: ColumnType? = nil) throws -> (table: Table, header: [String]) {
        try read(path, wanted: wanted, types: types, otherColumns: otherColumns)
    }

    /// `releasingFrom`: see `FileBytes.withMapping` (a parameter for tests only).
    static func read(_ path: String, wanted: Set<String>?, types: [String: ColumnType], otherColumns: ColumnType?,
                     releasingFrom: Int = FileBytes.releasingFrom) throws -> (table: Table, header: [String]) {
        // Mapped (no copy of the file), a large file's pages released as the chunks are read; a file
        // that cannot be mapped (empty, not regular) is read.
        if let read = try FileBytes.withMapping(path, releasingFrom: releasingFrom, {
            try parse($0, file: path, types: types, otherColumns: otherColumns, wanted: wanted, pages: $1)
        }) { return read }
        guard let bytes = FileBytes.read(path) else {
            throw AnalyticsError.invalidInput(what: "cannot read \(path)", expected: "an existing, readable CSV file")
        }
        return try bytes.withUnsafeBufferPointer { try parse($0, file: path, types: types, otherColumns: otherColumns, wanted: wanted) }
    }

    /// `read` for bytes in memory. Files without quotes take `CSVChunkedReader` (on all cores, no
    /// String per numeric field); the rest, and every file with an error to report, `parseSerially`.
    /// Both give the same table (a differential test holds them equal).
    public static func parse(_ bytes: [UInt8], file: String, types: [String: ColumnType] = [:], otherColumns: ColumnType? = nil) throws -> Table {
        if let table = CSVChunkedReader.parse(bytes, types: types, otherColumns: otherColumns) { return table }
        return try parseSerially(bytes, file: file, types: types, otherColumns: otherColumns)
    }

    /// `parse` of bytes anywhere in memory (a mapped file), of the `wanted` columns (nil: all); the
    /// serial reader gets a copy.
    static func parse(_ buffer: UnsafeBufferPointer<UInt8>, file: String, types: [String: ColumnType], otherColumns: ColumnType?,
                      wanted: Set<String>? = nil, pages: FileBytes.MappedPages? = nil) throws -> (table: Table, header: [String]) {
        if let read = CSVChunkedReader.parse(buffer, types: types, otherColumns: otherColumns, wanted: wanted, pages: pages) { return read }
        return try parseSerially(Array(buffer), file: file, types: types, otherColumns: otherColumns, wanted: wanted)
    }

    /// The reference reader: `rows`, then each column typed from its Strings (public for the
    /// benchmark, `bench/run-csv.sh`).
    public static func parseSerially(_ bytes: [UInt8], file: String, types: [String: ColumnType] = [:], otherColumns: ColumnType? = nil) throws -> Table {
        try parseSerially(bytes, file: file, types: types, otherColumns: otherColumns, wanted: nil).table
    }

    /// `parseSerially` of the `wanted` columns (nil: all; the others are not typed), and the header.
    static func parseSerially(_ bytes: [UInt8], file: String, types: [String: ColumnType], otherColumns: ColumnType?,
                              wanted: Set<String>?) throws -> (table: Table, header: [String]) {
        let rows = try rows(bytes, file: file)
        var table = Table()
        for (j, name) in rows.header.enumerated() where wanted?.contains(name) ?? true {
            let values = rows.columns[j]
            switch types[name] ?? otherColumns {
            case .text?:
                table.append(name, .text(values))
            case .number?:
                var out = [Double](repeating: .nan, count: values.count)
                for (r, v) in values.enumerated() where !v.isEmpty {
                    guard let d = number(v) else {
                        let at = rows.location(row: r, field: j)
                        throw AnalyticsError.badData(file: file, line: at.line, column: at.column, field: name, expected: "a number", found: quoted(v))
                    }
                    out[r] = d
                }
                table.append(name, .number(out))
            case nil:
                var parsed: [Double] = []
                parsed.reserveCapacity(values.count)
                for v in values {
                    guard let d = v.isEmpty ? Double.nan : number(v) else { break }
                    parsed.append(d)
                }
                if !values.isEmpty && parsed.count == values.count { table.append(name, .number(parsed)) } else { table.append(name, .text(values)) }
            }
        }
        return (table, rows.header)
    }

    /// A number as CSV writes it (also `+1`, `1.5E3`, `inf`); nil for anything else.
    public static func number(_ s: String) -> Double? {
        switch s {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        default:
            guard let first = s.utf8.first, first == 0x2D || first == 0x2B || first == 0x2E || (0x30...0x39).contains(first) else { return nil }
            return Double(s)
        }
    }
}

extension Table {
    /// A numeric column by name, or an error naming the column and what exists.
    public func numbers(_ name: String) throws -> [Double] {
        guard let c = self[name] else { throw AnalyticsError.missingColumn(name: name, available: names) }
        guard let v = c.numbers else { throw AnalyticsError.wrongColumnType(name: name, expected: "numeric") }
        return v
    }

    /// A column as text (numbers formatted as CSV writes them).
    public func texts(_ name: String) throws -> [String] {
        guard let c = self[name] else { throw AnalyticsError.missingColumn(name: name, available: names) }
        switch c {
        case .text(let v): return v
        case .number(let v): return v.map(CSV.format)
        }
    }

    /// The named numeric columns as a matrix (rows x columns).
    public func matrix(_ columns: [String]) throws -> Matrix {
        let cols = try columns.map { try numbers($0) }
        var values = [Double](repeating: 0, count: rowCount * cols.count)
        for (j, c) in cols.enumerated() { for i in 0..<rowCount { values[i * cols.count + j] = c[i] } }
        return Matrix(rows: rowCount, columns: cols.count, values: values)
    }
}

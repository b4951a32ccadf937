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

    /// Writes a table as CSV bytes.
    public static func encode(_ t: Table) -> [UInt8] {
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
        let data = Data(encode(t))
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
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
        public var count: Int { lines.count }
        public subscript(row: Int, column: Int) -> String { columns[column][row] }
    }

    /// Splits CSV bytes into rows (RFC 4180: quotes, doubled quotes, CRLF or LF, newlines in quotes;
    /// blank lines are skipped). A row whose field count differs from the header's is an error
    /// naming its line.
    public static func rows(_ bytes: [UInt8], file: String) throws -> Rows {
        var header: [String]?
        var columns: [[String]] = []
        var lines: [Int] = []
        var record: [String] = []
        var quoted: [UInt8] = []
        var line = 1, recordLine = 1
        // A UTF-8 byte order mark (spreadsheet exports write one) is not part of the first name.
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        var i = bom, fieldStart = bom
        var inQuotes = false, wasQuoted = false
        let n = bytes.count
        func endField(_ end: Int) {
            // Unquoted fields are slices of the input; quoted ones were unescaped into `quoted`.
            record.append(wasQuoted ? String(decoding: quoted, as: UTF8.self) : String(decoding: bytes[fieldStart..<end], as: UTF8.self))
            quoted.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() throws {
            defer { record.removeAll(keepingCapacity: true) }
            if record.count == 1 && record[0].isEmpty { return }
            guard let h = header else {
                header = record
                columns = record.map { _ in [] }
                return
            }
            guard record.count == h.count else {
                throw AnalyticsError.badData(file: file, line: recordLine, column: "-", expected: "\(h.count) fields", found: "\(record.count) fields")
            }
            for (j, f) in record.enumerated() { columns[j].append(f) }
            lines.append(recordLine)
        }
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
                i += 2
                continue
            case 0x0A:
                endField(i)
                fieldStart = i + 1
                try endRecord()
                line += 1
                recordLine = line
            default:
                // After a closing quote only the separator may follow; keep the text as RFC 4180
                // readers do (appended to the unescaped field).
                if wasQuoted { quoted.append(b) }
            }
            i += 1
        }
        if inQuotes { throw AnalyticsError.badData(file: file, line: recordLine, column: "-", expected: "a closing quote", found: "end of file") }
        if fieldStart < n || !record.isEmpty {
            endField(n)
            try endRecord()
        }
        guard let h = header else { throw AnalyticsError.tooFewRows(what: file, rows: 0, needed: 1) }
        return Rows(file: file, header: h, columns: columns, lines: lines)
    }

    /// Reads a CSV file into a table. Columns named in `types` get that type (a value that is not a
    /// number in a number column is an error naming the file, line and column); other columns are
    /// numbers when every non-empty value parses as one, else text. Empty numbers are NaN.
    /// `otherColumns`, when given, is the type of every column not named in `types` (no inference).
    public static func read(_ path: String, types: [String: ColumnType] = [:], otherColumns: ColumnType? = nil) throws -> Table {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AnalyticsError.invalidInput(what: "cannot read \(path)", expected: "an existing, readable CSV file")
        }
        return try parse([UInt8](data), file: path, types: types, otherColumns: otherColumns)
    }

    public static func parse(_ bytes: [UInt8], file: String, types: [String: ColumnType] = [:], otherColumns: ColumnType? = nil) throws -> Table {
        let rows = try rows(bytes, file: file)
        var table = Table()
        for (j, name) in rows.header.enumerated() {
            if table.index(of: name) != nil {
                throw AnalyticsError.invalidInput(what: "\(file): column '\(name)' appears twice in the header", expected: "unique column names")
            }
            let values = rows.columns[j]
            switch types[name] ?? otherColumns {
            case .text?:
                table.append(name, .text(values))
            case .number?:
                var out = [Double](repeating: .nan, count: values.count)
                for (r, v) in values.enumerated() where !v.isEmpty {
                    guard let d = number(v) else {
                        throw AnalyticsError.badData(file: file, line: rows.lines[r], column: name, expected: "a number", found: v)
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
        return table
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

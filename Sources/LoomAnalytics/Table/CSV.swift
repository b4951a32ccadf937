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

    /// Parsed rows: the header and the fields of each row with its 1-based line number.
    public struct Rows: Sendable {
        public var file: String
        public var header: [String]
        public var fields: [[String]]
        public var lines: [Int]
    }

    /// Splits CSV bytes into rows (RFC 4180: quotes, doubled quotes, CRLF or LF, newlines in quotes).
    /// A row whose field count differs from the header's is an error naming its line.
    public static func rows(_ bytes: [UInt8], file: String) throws -> Rows {
        var records: [[String]] = []
        var lines: [Int] = []
        var field: [UInt8] = []
        var record: [String] = []
        var line = 1, recordLine = 1
        var i = 0
        var inQuotes = false, wasQuoted = false
        let n = bytes.count
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while i < n {
            let b = bytes[i]
            if inQuotes {
                if b == 0x22 {
                    if i + 1 < n && bytes[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                    inQuotes = false
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case 0x22 where field.isEmpty && !wasQuoted:
                inQuotes = true
                wasQuoted = true
            case 0x2C:
                endField()
            case 0x0D where i + 1 < n && bytes[i + 1] == 0x0A:
                break
            case 0x0A:
                endField()
                if !(record.count == 1 && record[0].isEmpty) { records.append(record); lines.append(recordLine) }
                record.removeAll(keepingCapacity: true)
                line += 1
                recordLine = line
            default:
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw AnalyticsError.badData(file: file, line: recordLine, column: "-", expected: "a closing quote", found: "end of file") }
        if !field.isEmpty || !record.isEmpty {
            endField()
            records.append(record)
            lines.append(recordLine)
        }
        guard let header = records.first else { throw AnalyticsError.tooFewRows(what: file, rows: 0, needed: 1) }
        for (r, l) in zip(records.dropFirst(), lines.dropFirst()) where r.count != header.count {
            throw AnalyticsError.badData(file: file, line: l, column: "-", expected: "\(header.count) fields", found: "\(r.count) fields")
        }
        return Rows(file: file, header: header, fields: Array(records.dropFirst()), lines: Array(lines.dropFirst()))
    }

    /// Reads a CSV file into a table. Columns named in `types` get that type (a value that is not a
    /// number in a number column is an error naming the file, line and column); other columns are
    /// numbers when every non-empty value parses as one, else text. Empty numbers are NaN.
    public static func read(_ path: String, types: [String: ColumnType] = [:]) throws -> Table {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AnalyticsError.invalidInput(what: "cannot read \(path)", expected: "an existing, readable CSV file")
        }
        return try parse([UInt8](data), file: path, types: types)
    }

    public static func parse(_ bytes: [UInt8], file: String, types: [String: ColumnType] = [:]) throws -> Table {
        let rows = try rows(bytes, file: file)
        var table = Table()
        for (j, name) in rows.header.enumerated() {
            if table.index(of: name) != nil {
                throw AnalyticsError.invalidInput(what: "\(file): column '\(name)' appears twice in the header", expected: "unique column names")
            }
            let values = rows.fields.map { $0[j] }
            switch types[name] {
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
                let parsed = values.map { $0.isEmpty ? Double.nan : number($0) }
                if !values.isEmpty, parsed.allSatisfy({ $0 != nil }) { table.append(name, .number(parsed.map { $0! })) } else { table.append(name, .text(values)) }
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

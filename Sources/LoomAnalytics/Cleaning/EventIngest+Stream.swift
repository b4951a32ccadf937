import Foundation

extension EventIngest {
    /// What `stream` read: the summary `run` gives, and the kept rows per event type.
    public struct StreamResult: Equatable, Sendable {
        public var summary: TransactionIngest.Summary
        /// Kept rows per (normalised) event type.
        public var typeCounts: [String: Int]
        public var columns: Int
    }

    /// `run` on a file, a piece at a time: reads `path` in pieces of about `blockSize` bytes
    /// (`CSVChunks`), parses each after the header's bytes and writes its kept rows to `output`
    /// as they are checked. The file written is byte for byte `CSV.encode` of `run`'s table, the
    /// summary is `run`'s, and an error is the one `run` throws for the whole file (at the same
    /// line and column): `run` parses the whole file before it checks values, so here a value or
    /// column error waits until every later piece has been parsed without a malformed record.
    /// Memory: one piece, its strings and a write buffer, whatever the file's size.
    ///
    /// A piece without quotes is read in place on all cores (`EventScan`), in parts merged in
    /// order; any piece it does not decide (a malformed record, invalid UTF-8, a bad value that
    /// is an error) is parsed as before, so errors and skipped records are the parsed path's.
    /// `scan: false` parses every piece (the reference the differential tests hold the scan to).
    public static func stream(path: String, file: String, config c: Config, to output: String, blockSize: Int = 16 << 20,
                              scan: Bool = true) throws -> StreamResult {
        var chunks = try CSVChunks(path: path, blockSize: blockSize)
        let reading = CSV.Reading(skipBadRows: c.skipBadRows, strictUTF8: true)
        var summary = TransactionIngest.Summary()
        var malformedLines: [Int] = [], valueLines: [Int] = []
        var typeCounts: [String: Int] = [:]
        // `run` detects an automatic format from the file's first row alone (epoch if it names none).
        var fields: Fields?, format: TimeFormat? = c.timeFormat == .auto ? nil : c.timeFormat
        var writer: CSVRowWriter?
        var pending: Error?   // a value or column error, thrown once the rest of the file parses
        var first = true
        var prefixLines = 0
        while let chunk = try chunks.next() {
            let isFirst = first
            let offset = first ? 0 : chunk.firstLine - (prefixLines + 1)
            if first { prefixLines = (chunks.header ?? []).reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } }
            // The scan reads the piece as it is (its records start after the header in the first
            // piece, at 0 in the others); the parser reads it after the header's bytes.
            let records = first ? (chunks.header ?? []).count : 0
            first = false
            // In place when the scan decides every record: the header's columns known, the time
            // format too (an automatic one is detected by the first piece, parsed).
            if scan && pending == nil && fields == nil, let h = try? CSV.rows(chunks.header ?? [], file: file, reading: reading) {
                fields = try? Fields(h, c)
            }
            if scan && pending == nil, let x = fields, let format,
               let parts = EventScan(width: x.width, fields: x, format: format, skipBadRows: c.skipBadRows).scanParts(chunk.bytes, from: records) {
                let w = try writer ?? CSVRowWriter(path: output, header: outputColumns(c))
                writer = w
                var line = prefixLines + 1 + offset   // the line of the first record after the header's bytes
                for part in parts {
                    w.encodedRows(part.out, count: part.kept)
                    summary.rowsRead += part.records
                    summary.rowsKept += part.kept
                    for (k, n) in part.skipped.enumerated() where n > 0 { summary.skipped[EventScan.reasons[k], default: 0] += n }
                    for l in part.skippedLines where valueLines.count < CSV.skippedLinesKept { valueLines.append(line + l) }
                    part.types.merge(into: &typeCounts)
                    line += part.newlines
                }
                continue
            }
            let bytes = isFirst ? chunk.bytes : (chunks.header ?? []) + chunk.bytes
            let rows: CSV.Rows
            do { rows = try CSV.rows(bytes, file: file, reading: reading) } catch let AnalyticsError.badData(f, line, column, field, expected, found) {
                throw AnalyticsError.badData(file: f, line: line + offset, column: column, field: field, expected: expected, found: found)
            }
            guard pending == nil else { continue }
            do {
                let x = try fields ?? Fields(rows, c)
                fields = x
                if format == nil && rows.count > 0 { format = TimeFormat.detect(rows[0, x.time]) ?? .epoch }
                let extraWritten = x.extraWritten
                let w = try writer ?? CSVRowWriter(path: output, header: outputColumns(c))
                writer = w
                summary.rowsRead += rows.count + rows.malformed
                for (reason, n) in rows.skipped { summary.skipped[reason, default: 0] += n }
                for l in rows.skippedLines where malformedLines.count < CSV.skippedLinesKept { malformedLines.append(l + offset) }
                for r in 0..<rows.count {
                    func f(_ j: Int) -> String { rows[r, j] }
                    switch x.check(rows, r, format: format ?? .epoch) {
                    case let .bad(p):
                        guard c.skipBadRows else {
                            let e = rows.bad(row: r, field: p.field, expected: p.expected, found: p.found)
                            guard case let .badData(f, line, column, field, expected, found) = e else { throw e }
                            throw AnalyticsError.badData(file: f, line: line + offset, column: column, field: field, expected: expected, found: found)
                        }
                        summary.skipped[p.reason, default: 0] += 1
                        if valueLines.count < CSV.skippedLinesKept { valueLines.append(rows.lines[r] + offset) }
                    case let .good(t, price):
                        let type = Self.eventType(f(x.eventType))
                        typeCounts[type, default: 0] += 1
                        w.text(f(x.user)); w.text(f(x.session)); w.text(type); w.number(t); w.number(price)
                        w.text(x.product.map { f($0) } ?? ""); w.text(x.category.map { f($0) } ?? ""); w.text(x.brand.map { f($0) } ?? "")
                        for j in extraWritten { w.text(f(j)) }
                        w.endRow()
                        summary.rowsKept += 1
                    }
                }
            } catch { pending = error }
        }
        if let pending { throw pending }
        guard let writer else { throw AnalyticsError.invalidInput(what: "no rows in \(file)", expected: "a header row") }   // unreachable: the first piece parses or throws
        try writer.close()
        // `run` keeps the first malformed records' lines, then value problems' while fewer than
        // `skippedLinesKept`, and shows them sorted.
        let lines = malformedLines + valueLines.prefix(max(0, CSV.skippedLinesKept - malformedLines.count))
        summary.firstSkippedLines = Array(lines.sorted().prefix(CSV.skippedLinesKept))
        return StreamResult(summary: summary, typeCounts: typeCounts, columns: outputColumns(c).count)
    }

    /// The columns `run`'s table has: the canonical ones, then each extra column once.
    static func outputColumns(_ c: Config) -> [String] {
        var names = canonicalColumns
        for n in c.extra where !names.contains(n) { names.append(n) }
        return names
    }
}

extension EventIngest.Fields {
    /// The extra columns' indices as written: a name given twice is written once (`run`'s table
    /// keeps the first).
    var extraWritten: [Int] {
        var seen: [Int] = [], out: [Int] = []
        for j in extra where !seen.contains(j) { seen.append(j); out.append(j) }
        return out
    }
}

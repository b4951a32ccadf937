import Foundation

extension Clean {
    /// How `clean` types the canonical event table: ids and texts as text, time and price as
    /// numbers, and every other column (ingest's extra columns) as text, passed through as written.
    public static let columnTypes: [String: CSV.ColumnType] = ["user": .text, "session": .text, "event_type": .text, "time": .number,
                                                               "price": .number, "product": .text, "category": .text, "brand": .text]

    /// What `stream` did: `events`' summary, and the rows whose type is the purchase event (kept or not).
    public struct StreamResult: Equatable, Sendable {
        public var summary: Summary
        public var purchases: Int
    }

    /// `events` on a file, a piece at a time (`CSVPieces`), writing the kept rows to `output` as
    /// they come: the file written is byte for byte `CSVRowWriter.write` of `events`' table (read
    /// with `columnTypes`) and the summary is `events`' (a differential test holds both).
    ///
    /// Duplicates: only the kept rows' hashes and file positions are held (`SeenRows`, 12 bytes a
    /// row before the table's slack); a row whose hash matches a kept row's is compared with that
    /// row's values, read back from the file when it is in an earlier piece. So a row is dropped
    /// only when it equals a kept one, as in `events`.
    ///
    /// Errors: as `CSVPieces`, not always `events`' for the whole file; `clean` reads the file whole
    /// when this throws, to report that one.
    public static func stream(path: String, file: String, start: Double? = nil, end: Double? = nil, rules: Rules = Rules(),
                              to output: String, blockSize: Int = 16 << 20) throws -> StreamResult {
        var pieces = try CSVPieces(path: path, file: file, types: columnTypes, otherColumns: .text, offsets: true, blockSize: blockSize)
        guard let reader = FileHandle(forReadingAtPath: path) else {
            throw AnalyticsError.invalidInput(what: "cannot read \(path)", expected: "an existing, readable CSV file")
        }
        defer { try? reader.close() }
        var writer: CSVRowWriter?
        var seen = SeenRows()
        var dropped: [String: Int] = [:]
        var rowsIn = 0, rowsOut = 0, purchases = 0
        var header: [UInt8] = []
        // The kept row at a file position, when it is not in the current piece: read back and parsed.
        func earlier(_ offset: Int, _ length: Int) throws -> DuplicateKey {
            try reader.seek(toOffset: UInt64(offset))
            let bytes = try reader.read(upToCount: length).map { [UInt8]($0) } ?? []
            let t = try CSV.parse(header + bytes, file: file, types: columnTypes, otherColumns: .text)
            guard t.rowCount == 1 else {
                throw AnalyticsError.invalidInput(what: "\(file): no single record at byte \(offset)", expected: "the file unchanged while read")
            }
            return try DuplicateKey(t, columns: rules.duplicateColumns)
        }
        while let piece = try pieces.next() {
            let t = piece.table, offsets = piece.recordOffsets
            if writer == nil { header = pieces.header }
            let users = try t.texts("user"), sessions = try t.texts("session"), types = try t.texts("event_type")
            let times = try t.numbers("time"), prices = try t.numbers("price")
            let key = try DuplicateKey(t, columns: rules.duplicateColumns)
            let w = try writer ?? CSVRowWriter(path: output, header: t.names)
            writer = w
            let pieceStart = offsets.first ?? 0
            for i in 0..<t.rowCount {
                if types[i] == rules.purchaseEvent { purchases += 1 }
                let reason: String?
                if users[i].isEmpty || sessions[i].isEmpty { reason = "missing id" } else if (start.map { times[i] < $0 } ?? false) || (end.map { times[i] >= $0 } ?? false) {
                    reason = "outside range"
                } else if rules.dropNegativePrices && prices[i] < 0 { reason = "negative price" } else if rules.purchaseNeedsPrice && types[i] == rules.purchaseEvent && !(prices[i] > 0) {
                    reason = "purchase without price"
                } else if try seen.insert(hash: key.row(i).hashValue, offset: offsets[i], length: offsets[i + 1] - offsets[i], isSame: { o, n in
                    guard o >= pieceStart else { return key.equal(i, try earlier(o, n), 0) }
                    return key.equal(i, key, Self.row(at: o, in: offsets))
                }) {
                    reason = "duplicate"
                } else { reason = nil }
                if let reason { dropped[reason, default: 0] += 1; continue }
                rowsOut += 1
                for c in t.columns {
                    switch c {
                    case .number(let v): w.number(v[i])
                    case .text(let v): w.text(v[i])
                    }
                }
                w.endRow()
            }
            rowsIn += t.rowCount
        }
        try writer?.close()
        return StreamResult(summary: Summary(rowsIn: rowsIn, rowsOut: rowsOut, dropped: dropped), purchases: purchases)
    }

    /// The row of a piece whose record starts at `offset` (one of `offsets`, which are increasing).
    static func row(at offset: Int, in offsets: [Int]) -> Int {
        var lo = 0, hi = offsets.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if offsets[mid] < offset { lo = mid + 1 } else { hi = mid } }
        return lo
    }
}

extension DuplicateKey {
    /// Whether row `i` here equals row `j` of `other` (a key over the same columns of another piece).
    func equal(_ i: Int, _ other: DuplicateKey, _ j: Int) -> Bool {
        for (a, b) in zip(texts, other.texts) where a[i] != b[j] { return false }
        for (a, b) in zip(numbers, other.numbers) where a[i].bitPattern != b[j].bitPattern { return false }
        return true
    }
}

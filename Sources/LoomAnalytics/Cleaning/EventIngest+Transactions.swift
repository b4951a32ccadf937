import Foundation

extension EventIngest {
    /// `transactions` of an event log read a piece at a time (`CSVChunks`): only the purchases are
    /// held, so memory grows with them, not with the log. The table is `transactions`' for the whole
    /// file read with time and price as numbers and the ids as text.
    ///
    /// A piece without quotes and all ASCII is scanned in place (`PurchaseScan`: no String but for a
    /// purchase's user, where `CSV.parse` makes one per text field); any other piece is parsed.
    ///
    /// - Throws: when the stream cannot stand for the whole-table read: a piece's error (a record
    ///   with the wrong number of fields, a time or price that is not a number), a missing column,
    ///   or no event of `purchaseType` (the kind then reads the file whole for its message).
    public static func streamTransactions(path: String, file: String, purchaseType: String, blockSize: Int = 16 << 20) throws -> Table {
        let types: [String: CSV.ColumnType] = ["customer": .text, "user": .text, "session": .text, "event_type": .text, "time": .number,
                                               "price": .number, "product": .text, "category": .text, "brand": .text]
        var chunks = try CSVChunks(path: path, blockSize: blockSize)
        var out = PurchaseScan.Found()
        var scan: PurchaseScan?
        while let chunk = try chunks.next() {
            let header = chunks.header ?? []
            let bytes = chunk.offset == 0 ? chunk.bytes : header + chunk.bytes
            if scan == nil {
                let names = try CSV.parse(header, file: file, types: types, otherColumns: .text).names
                scan = try PurchaseScan(names: names, purchaseType: purchaseType)
            }
            if let scan, scan.asciiType, !bytes.contains(0x22), CSVPieces.isASCII(bytes) {
                try scan.scanParts(bytes, from: header.count, into: &out)
                continue
            }
            let t = try CSV.parse(bytes, file: file, types: types, otherColumns: .text)
            let kinds = try t.texts("event_type"), users = try t.texts("user")
            let when = try t.numbers("time"), prices = try t.numbers("price")
            for i in 0..<t.rowCount where kinds[i] == purchaseType {
                out.purchases += 1
                guard prices[i].isFinite && prices[i] > 0 else { continue }
                out.customers.append(users[i]); out.times.append(when[i]); out.amounts.append(prices[i])
            }
        }
        guard out.purchases > 0 else { throw AnalyticsError.invalidInput(what: "no '\(purchaseType)' events in \(file)", expected: "purchases") }
        return Table([("customer", .text(out.customers)), ("time", .number(out.times)), ("amount", .number(out.amounts))])
    }
}

/// The purchases of a piece without quotes, read in place as `CSVChunkedReader` reads such a
/// piece (every LF ends a record, a CR before it is not data, an empty line is skipped, a field is
/// the bytes between commas; time and price by `DecimalParser`, else `CSV.number`), checking every
/// record as `CSV.parse` does for this table's types: the right number of fields, and a number (or
/// nothing) as time and price. Only a purchase's user becomes a String.
struct PurchaseScan {
    struct Found { var customers: [String] = [], times: [Double] = [], amounts: [Double] = [], purchases = 0 }

    let width: Int, user: Int, type: Int, time: Int, price: Int
    let purchase: [UInt8]
    /// The purchase type is ASCII, so that byte equality is `String` equality in an ASCII piece.
    let asciiType: Bool

    init(names: [String], purchaseType: String) throws {
        func column(_ name: String) throws -> Int {
            guard let j = names.firstIndex(of: name) else { throw AnalyticsError.missingColumn(name: name, available: names) }
            return j
        }
        width = names.count
        (user, type, time, price) = (try column("user"), try column("event_type"), try column("time"), try column("price"))
        purchase = Array(purchaseType.utf8)
        asciiType = purchase.allSatisfy { $0 < 0x80 }
    }

    /// `scan` on parts of the piece on all cores (`Parallel`), merged in order: part k ends after
    /// the first LF at or past `from + (k + 1) x partBytes` (a size fixed here, never derived from
    /// the thread count), so the purchases and their order are the same for any number of threads.
    func scanParts(_ bytes: [UInt8], from: Int, partBytes: Int = 1 << 20, into out: inout Found) throws {
        let ends = CSVPieces.partEnds(bytes, from: from, partBytes: partBytes)
        let parts = ends.count
        guard parts > 1 else { try scan(bytes, from: from, to: bytes.count, into: &out); return }
        let slots = UnsafeMutablePointer<Result<Found, Error>>.allocate(capacity: parts)
        defer { slots.deinitialize(count: parts); slots.deallocate() }
        // Each iteration initialises its own slot only.
        Parallel.perform(iterations: parts) { k in
            var found = Found()
            (slots + k).initialize(to: Result { try scan(bytes, from: k == 0 ? from : ends[k - 1], to: ends[k], into: &found); return found })
        }
        for k in 0..<parts {
            let f = try slots[k].get()
            out.customers += f.customers; out.times += f.times; out.amounts += f.amounts; out.purchases += f.purchases
        }
    }

    /// The purchases of the records in `bytes[from..<to]`, which starts a line and ends after an LF
    /// or at the piece's end.
    func scan(_ bytes: [UInt8], from: Int, to: Int, into out: inout Found) throws {
        try bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            let n = to
            var line = from
            // Records: each line's fields, j counting them, each ending at a comma or the line's end.
            while line < n {
                let lf = memchr(p + line, 0x0A, n - line).map { p.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? n
                let end = lf < n && lf > line && p[lf - 1] == 0x0D ? lf - 1 : lf
                defer { line = lf + 1 }
                if end == line { continue }
                var i = line
                var userField = 0..<0, isPurchase = false, when = Double.nan, amount = Double.nan
                for j in 0..<width {
                    let start = i
                    while i < end && p[i] != 0x2C { i += 1 }
                    if j == width - 1 ? i != end : i == end { throw AnalyticsError.invalidInput(what: "a record of another width", expected: "the parsed path") }
                    if j == time || j == price {
                        var value: Double? = .nan
                        if i > start {
                            value = DecimalParser.parse(p, start, i)
                            if value == nil { value = CSV.number(String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self)) }
                        }
                        guard let value else { throw AnalyticsError.invalidInput(what: "a time or price that is not a number", expected: "the parsed path") }
                        if j == time { when = value } else { amount = value }
                    }
                    if j == type { isPurchase = i - start == purchase.count && memcmp(p + start, purchase, purchase.count) == 0 }
                    if j == user { userField = start..<i }
                    i += 1
                }
                guard isPurchase else { continue }
                out.purchases += 1
                guard amount.isFinite && amount > 0 else { continue }
                out.customers.append(String(decoding: UnsafeBufferPointer(start: p + userField.lowerBound, count: userField.count), as: UTF8.self))
                out.times.append(when)
                out.amounts.append(amount)
            }
        }
    }
}
